/**
 * Start a real `weft gateway` process for a test, and stop it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const BIN = new URL('../../bin/weft.js', import.meta.url).pathname

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
  const port = (s.address() as AddressInfo).port
  await new Promise((ok) => s.close(ok))
  return port
}

export interface GatewayProcess {
  proc: ChildProcess
  pid: number
  adminPort: number
  configFile: string
  output: () => string
  admin: (path: string) => Promise<Response>
  /** Rewrite the config file and wait until the gateway reports a version above `after` (or a rejection). */
  rewrite: (yaml: string) => Promise<void>
  stop: () => Promise<void>
}

export async function startGateway(yaml: string, gatewayRef = 'default/edge'): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-gw-'))
  const configFile = join(dir, 'mesh.yaml')
  await writeFile(configFile, yaml)
  const adminPort = await freePort()
  const proc = spawn(process.execPath, [BIN, 'gateway', '--config', configFile, '--gateway', gatewayRef, '--address', '127.0.0.1', '--admin', `127.0.0.1:${adminPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (out += d))
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`)
  const deadline = Date.now() + 15_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`weft gateway exited with ${proc.exitCode}:\n${out}`)
    const ok = await admin('/ready').then((r) => r.status === 200, () => false)
    if (ok) break
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`weft gateway did not become ready in 15s:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  const stats = async () => (await (await admin('/stats')).json()) as { version: number; rejections: number }
  return {
    proc,
    pid: proc.pid!,
    adminPort,
    configFile,
    output: () => out,
    admin,
    async rewrite(next) {
      const before = await stats()
      await writeFile(configFile, next)
      const until = Date.now() + 10_000
      for (;;) {
        const s = await stats()
        if (s.version > before.version || s.rejections > before.rejections) return
        if (Date.now() > until) throw new Error(`gateway did not pick up the config change in 10s:\n${out}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop() {
      if (proc.exitCode !== null) return
      const exited = new Promise((ok) => proc.once('exit', ok))
      process.kill(proc.pid!, 'SIGTERM')
      const t = setTimeout(() => proc.exitCode === null && process.kill(proc.pid!, 'SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    },
  }
}

/** Gateway `default/edge` with one HTTP listener on `port`, plus the given documents. */
export function edgeConfig(port: number, ...docs: string[]): string {
  return [
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: ${port}, protocol: HTTP }]`,
    ...docs,
  ].join('\n---\n')
}

export function service(name: string, endpoints: { address: string; port: number }[], port = 80): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  ports: [{ port: ${port} }]
  endpoints: [${endpoints.map((e) => `{ address: ${e.address}, port: ${e.port} }`).join(', ')}]`
}

export function processRssMb(pid: number): number {
  // VmRSS from /proc: the gateway process's resident memory, not the test's.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m ? Number(m[1]) / 1024 : NaN
}
