/**
 * @module
 * `weft dev`: the whole mesh on one machine, every part a real process — the control
 * plane, an edge gateway fed by it, and demo services each with its own sidecar:
 * `web` (called through the gateway) calls `api`, whose HTTPRoute splits 90/10 between
 * `api-v1` and `api-v2`. It prints where to look; Ctrl-C stops everything.
 *
 * @example
 * weft dev --port 8080 --control-port 7070
 */
import type { Command } from 'commander'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'
import { waitForSignal } from './gateway.js'

const BIN = fileURLToPath(new URL('../../bin/weft.js', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => ok(port))
    })
  })
}

async function waitFor(url: string, what: string, procs: ChildProcess[], ms = 20_000): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const ok = await fetch(url).then((r) => r.status === 200, () => false)
    if (ok) return
    if (procs.some((p) => p.exitCode !== null)) throw new Error(`${what} exited before it was ready`)
    if (Date.now() > until) throw new Error(`${what} was not ready within ${ms / 1000}s (${url})`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export function meshConfig(gatewayPort: number, v1Weight: number, v2Weight: number): string {
  return `# The weft dev mesh. Change the split with: weft apply -f THIS-FILE (edit the weights first)
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: ${gatewayPort}, protocol: HTTP }]
---
# North-south: the gateway sends everything to web.
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
# East-west (GAMMA): calls to the api Service are split between its versions.
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-split, namespace: default }
spec:
  parentRefs: [{ group: "", kind: Service, name: api, port: 80 }]
  rules:
    - backendRefs:
        - { name: api-v1, port: 80, weight: ${v1Weight} }
        - { name: api-v2, port: 80, weight: ${v2Weight} }
---
# Services: their endpoints are the sidecars that register for them.
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: web, namespace: default }
spec: { ports: [{ port: 80 }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: api, namespace: default }
spec: { ports: [{ port: 80 }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: api-v1, namespace: default }
spec: { ports: [{ port: 80 }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: api-v2, namespace: default }
spec: { ports: [{ port: 80 }] }
`
}

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('run the whole mesh locally: control plane, gateway, and demo services web and api (v1/v2) with sidecars')
    .option('--port <port>', 'gateway listener port', '8080')
    .option('--control-port <port>', 'control plane port', '7070')
    .option('--dir <dir>', 'where the mesh keeps its state and config', '.weft/dev')
    .action(async (o: { port: string; controlPort: string; dir: string }) => {
      const dir = resolve(o.dir)
      await mkdir(dir, { recursive: true })
      const procs: ChildProcess[] = []
      const start = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
        const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
        const prefix = (d: Buffer) => String(d).trimEnd().split('\n').map((l) => `  [${name}] ${l}`).join('\n')
        p.stdout!.on('data', (d: Buffer) => console.log(prefix(d)))
        p.stderr!.on('data', (d: Buffer) => console.log(prefix(d)))
        procs.push(p)
        return p
      }
      const stopAll = async () => {
        // Sidecars first (they deregister), then the gateway, the apps and the control plane.
        for (const p of [...procs].reverse()) if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGTERM')
        await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((ok) => p.once('exit', ok)))))
      }
      try {
        const control = `http://127.0.0.1:${o.controlPort}`
        const controlDir = join(dir, 'control')
        start('control', ['control', '--data', controlDir, '--listen', `127.0.0.1:${o.controlPort}`])
        await waitFor(`${control}/healthz`, 'weft control', procs)
        const token = (await readFile(join(controlDir, 'admin-token'), 'utf8')).trim()
        const trust = join(controlDir, 'jwks.json')
        const meshFile = join(dir, 'mesh.yaml')
        await writeFile(meshFile, meshConfig(Number(o.port), 90, 10))
        await writeFile(join(dir, 'split-50-50.yaml'), meshConfig(Number(o.port), 50, 50))
        const applied = spawn(process.execPath, [BIN, 'apply', '-f', meshFile, '--control', control, '--token', token], { stdio: 'inherit' })
        const code = await new Promise((ok) => applied.once('exit', ok))
        if (code !== 0) throw new Error(`weft apply -f ${meshFile} failed (exit ${code})`)

        const common = ['--control', control, '--trust', trust, '--token', token]
        const admins: string[] = []
        const instance = async (service: string, version: string, call?: string) => {
          const [app, inbound, outbound, admin] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
          start(`${service} app`, ['demo-app', '--name', service, '--release', version, '--port', String(app), ...(call ? ['--call', call, '--outbound', `127.0.0.1:${outbound}`] : [])])
          start(`${service} sidecar`, ['proxy', '--service', service, '--app', `http://127.0.0.1:${app}`, '--inbound', `127.0.0.1:${inbound}`, '--outbound', `127.0.0.1:${outbound}`, '--admin', `127.0.0.1:${admin}`, '--data', join(dir, `sidecar-${service}-${version}`), ...common])
          admins.push(`http://127.0.0.1:${admin}/ready`)
        }
        await instance('web', 'v1', 'api')
        await instance('api-v1', 'v1')
        await instance('api-v2', 'v2')
        const gwAdmin = await freePort()
        start('gateway', ['gateway', '--gateway', 'default/edge', '--address', '127.0.0.1', '--admin', `127.0.0.1:${gwAdmin}`, '--data', join(dir, 'gateway'), ...common])
        admins.push(`http://127.0.0.1:${gwAdmin}/ready`)
        for (const a of admins) await waitFor(a, a, procs)
        const url = `http://127.0.0.1:${o.port}`
        console.log(`
Weft dev is running: a control plane, an edge gateway, and web → api (v1 90% / v2 10%), every service with its own sidecar.
  gateway        ${url}
  control        ${control}   (admin token in ${join(controlDir, 'admin-token')})
  gateway admin  http://127.0.0.1:${gwAdmin}/metrics  /config  /stats

Try:
  curl -s ${url}/                  # web answers, with what its call to api returned
  for i in $(seq 20); do curl -s ${url}/ | grep -o '"version": "v[12]"' | tail -1; done | sort | uniq -c
  export WEFT_CONTROL_URL=${control} WEFT_ADMIN_TOKEN=$(cat ${join(controlDir, 'admin-token')})
  weft apply -f ${join(dir, 'split-50-50.yaml')}     # every proxy runs the new split in well under a second
  weft status                                        # every proxy, its bundle version, in sync or not

Ctrl-C stops everything.`)
        await Promise.race([waitForSignal(), new Promise((ok) => procs.forEach((p) => p.once('exit', ok)))])
      } finally {
        await stopAll()
      }
    })
}
