/**
 * `weft gateway --control` against the real `weft control`: ready on the empty config
 * before anything is applied, a change applied through the Control API runs in well
 * under a second, 20 applies under a bounded load loop fail no request, and the
 * gateway's status report reaches the control plane.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { freePort, WEFT_BIN } from '../support/gateway-runner.js'
import { startControlProcess, service, type ControlProcess } from './control-process.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let control: ControlProcess
let gw: ChildProcess
let out = ''
let adminPort: number
let listenPort: number
const backends: Server[] = []
const backendPorts: number[] = []

const resources = (n: number) => [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'default' },
    spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: listenPort, protocol: 'HTTP' }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'edge' }],
      rules: [
        {
          filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-config', value: `c${n}` }] } }],
          backendRefs: [{ name: 'a', port: 80, weight: 1 + (n % 3) }, { name: 'b', port: 80, weight: 1 }],
        },
      ],
    },
  },
  service('a', 'default', backendPorts[0]),
  service('b', 'default', backendPorts[1]),
]

const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(2000) })

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${out}`)
    await sleep(10)
  }
}

beforeAll(async () => {
  for (const name of ['a', 'b']) {
    const s = createServer((_req, res) => res.end(name))
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    backends.push(s)
    backendPorts.push((s.address() as { port: number }).port)
  }
  listenPort = await freePort()
  adminPort = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'weft-bc-'))
  control = await startControlProcess(join(dir, 'control'))
  const tok = (await (await control.api('POST', '/v1/tokens', { gateway: 'default/edge' })).json()) as { token: string }
  const args = [WEFT_BIN, 'gateway', '--control', control.url, '--trust', join(dir, 'control', 'jwks.json'), '--data', join(dir, 'gw'), '--gateway', 'default/edge', '--address', '127.0.0.1', '--admin', `127.0.0.1:${adminPort}`]
  gw = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_TOKEN: tok.token } })
  gw.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  gw.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
})

afterAll(async () => {
  if (gw?.pid && gw.exitCode === null) {
    const exited = new Promise((ok) => gw.once('exit', ok))
    process.kill(gw.pid, 'SIGTERM')
    const t = setTimeout(() => gw.exitCode === null && process.kill(gw.pid!, 'SIGKILL'), 3000)
    await exited
    clearTimeout(t)
  }
  await control?.stop()
  for (const s of backends) s.close()
})

async function xConfig(): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${listenPort}/`, { signal: AbortSignal.timeout(2000) })
  await res.text()
  return res.headers.get('x-config')
}

describe('weft gateway --control with weft control', () => {
  it('Should be ready on the empty config, before anything is applied', async () => {
    await waitFor('/ready', async () => (await admin('/ready')).status === 200 || undefined)
  })

  it('Should run an applied change in well under a second', async () => {
    await sleep(200)
    const start = Date.now()
    const res = await control.api('POST', '/v1/config', { resources: resources(1) })
    expect(res.status).toBe(200)
    await waitFor('c1', async () => (await xConfig()) === 'c1' || undefined)
    expect(Date.now() - start).toBeLessThan(1000)
  })

  it('Should fail no request during 20 applies under load', async () => {
    const agent = new Agent({ connections: 4 })
    let stop = false
    let ok = 0
    const failures: string[] = []
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const r = await request(`http://127.0.0.1:${listenPort}/`, { dispatcher: agent })
          await r.body.text()
          if (r.statusCode === 200) ok++
          else failures.push(String(r.statusCode))
        } catch (err) {
          failures.push((err as Error).message)
        }
      }
    })
    for (let n = 2; n <= 21; n++) {
      expect((await control.api('POST', '/v1/config', { resources: resources(n) })).status).toBe(200)
      await sleep(30)
    }
    await waitFor('c21', async () => (await xConfig()) === 'c21' || undefined)
    stop = true
    await Promise.all(load)
    await agent.close()
    expect(failures).toEqual([])
    expect(ok).toBeGreaterThan(20)
  })

  it('Should report its version to the control plane', async () => {
    const stats = (await (await admin('/stats')).json()) as { bundle: { activeVersion: number } }
    const proxies = await waitFor('the report', async () => {
      const body = (await (await control.api('GET', '/v1/proxies')).json()) as { proxies: { scope?: string; version?: number }[] }
      return JSON.stringify(body).includes(`"version":${stats.bundle.activeVersion}`) ? body : undefined
    })
    expect(JSON.stringify(proxies)).toContain('gateway.default.edge')
  })
})
