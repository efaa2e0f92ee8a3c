/**
 * A real `weft gateway` process for an integration test: its config in a temp file,
 * started and stopped by PID through the shared runner (test/support/gateway-runner.ts),
 * plus the admin calls these tests make.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startGateway as startRunner, type GatewayProcess as Runner } from '../support/gateway-runner.js'

export { freePort }

export interface GatewayProcess extends Runner {
  configFile: string
  admin: (path: string) => Promise<Response>
  /** Rewrite the config file and wait until the gateway swapped it in or rejected it. */
  rewrite: (yaml: string) => Promise<void>
}

export async function startGateway(yaml: string, gatewayRef = 'default/edge'): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-gw-'))
  const configFile = join(dir, 'mesh.yaml')
  await writeFile(configFile, yaml)
  const gw = await startRunner({ configFile, gateway: gatewayRef, address: '127.0.0.1' })
  const admin = (path: string) => fetch(`http://127.0.0.1:${gw.adminPort}${path}`)
  const stats = async () => (await (await admin('/stats')).json()) as { version: number; rejections: number }
  return Object.assign(gw, {
    configFile,
    admin,
    async rewrite(next: string) {
      const before = await stats()
      await writeFile(configFile, next)
      const until = Date.now() + 10_000
      for (;;) {
        const s = await stats()
        if (s.version > before.version || s.rejections > before.rejections) return
        if (Date.now() > until) throw new Error(`gateway did not pick up the config change in 10s:\n${gw.output()}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  })
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
