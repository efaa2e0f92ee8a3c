/**
 * `weft proxy` as real processes: a `weft control`, sidecars for `web` and `api`
 * each beside an echo app. Calls from web's app to its sidecar's outbound listener
 * (Host header or absolute-form) reach api's app through api's sidecar inbound,
 * routed by an HTTPRoute attached to the Service (GAMMA). A sidecar killed with
 * SIGKILL drops out of its peers' endpoints within its lease; SIGTERM deregisters
 * at once and exits 0.
 */
import { connect as netConnect, createServer as createTcpServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlProcess, type ControlProcess } from './control-process.js'
import { eventually, send, startEchoApp, startSidecar, type EchoApp, type SidecarProcess } from './sidecar-process.js'

const LEASE = 3

let dir: string
let control: ControlProcess
let webApp: EchoApp
let apiApp: EchoApp
let web: SidecarProcess
let api: SidecarProcess | undefined
const tokens: Record<string, string> = {}

const meshService = (name: string) => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } })
const apiRoute = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'api-routes', namespace: 'default' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'api' }],
    rules: [
      {
        matches: [{ headers: [{ name: 'x-canary', value: '1' }] }],
        filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-routed', value: 'canary' }] } }],
        backendRefs: [{ name: 'api', port: 80 }],
      },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'api', port: 80 }] },
    ],
  },
}

const instances = async () => ((await (await control.api('GET', '/v1/instances')).json()) as { instances: { scope: string; instance: string; port: number }[] }).instances
const viaWeb = (path = '/hello', headers: Record<string, string> = {}) => send(web.outbound, path, { host: 'api', ...headers })
const reachesApi = async () => {
  const r = await viaWeb()
  return r.status === 200 && JSON.parse(r.body).app === 'api'
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-'))
  control = await startControlProcess(join(dir, 'control'))
  const applied = await control.api('POST', '/v1/config', { resources: [meshService('web'), meshService('api'), apiRoute] })
  expect(applied.status, await applied.clone().text()).toBe(200)
  for (const s of ['web', 'api']) tokens[s] = ((await (await control.api('POST', '/v1/tokens', { service: s })).json()) as { token: string }).token
  webApp = await startEchoApp('web')
  apiApp = await startEchoApp('api')
  web = await startSidecar({ service: 'web', app: webApp.url, control, token: tokens.web!, lease: LEASE })
  api = await startSidecar({ service: 'api', app: apiApp.url, control, token: tokens.api!, lease: LEASE })
}, 60_000)

afterAll(async () => {
  await api?.stop('SIGKILL')
  await web?.stop('SIGKILL')
  await control?.stop()
  await webApp?.close()
  await apiApp?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('weft proxy', () => {
  it('Should serve /ready, /config, /stats and /metrics on the admin port', async () => {
    expect((await fetch(`http://127.0.0.1:${web.admin}/ready`)).status).toBe(200)
    const config = await (await fetch(`http://127.0.0.1:${web.admin}/config`)).json()
    expect(config).toMatchObject({ callerNamespace: 'default' })
    const stats = await (await fetch(`http://127.0.0.1:${web.admin}/stats`)).json()
    expect(stats).toMatchObject({ scope: 'sidecar.default.web', registration: { instance: web.instance, registered: true } })
    expect(await (await fetch(`http://127.0.0.1:${web.admin}/metrics`)).text()).toMatch(/weft_config_version/)
  })

  it('Should register each sidecar instance at its inbound address', async () => {
    expect(await instances()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'sidecar.default.web', instance: web.instance, port: web.inbound }),
        expect.objectContaining({ scope: 'sidecar.default.api', instance: api!.instance, port: api!.inbound }),
      ]),
    )
  })

  it('Should report the bundle version it runs (weft status)', async () => {
    await eventually(async () => {
      const { proxies } = (await (await control.api('GET', '/v1/proxies')).json()) as { proxies: { proxy: string; instance: string; inSync: boolean }[] }
      return proxies.some((p) => p.proxy === 'sidecar.default.web' && p.instance === web.instance && p.inSync)
    }, 5000, 'web reported in sync')
  })

  it("Should route a call with Host: api from web's app through both sidecars to api's app, by the Service's HTTPRoute", async () => {
    await eventually(reachesApi, 10_000, 'web → api through the sidecars')
    const r = await viaWeb('/hello?x=1', { 'x-canary': '1', connection: 'keep-alive, x-hop', 'x-hop': 'drop me' })
    expect(r.status).toBe(200)
    const echoed = JSON.parse(r.body)
    expect(echoed).toMatchObject({ app: 'api', method: 'GET', url: '/hello?x=1' })
    expect(echoed.headers['x-routed']).toBe('canary')
    expect(echoed.headers['x-hop']).toBeUndefined()
    expect(echoed.headers['x-forwarded-for']).toBeDefined()
    const plain = JSON.parse((await viaWeb('/other')).body)
    expect(plain.headers['x-routed']).toBeUndefined()
    expect(await (await fetch(`http://127.0.0.1:${api!.admin}/metrics`)).text()).toMatch(/weft_requests_total\{route="\(inbound\)",backend="app",code="200"\} [1-9]/)
    expect(await (await fetch(`http://127.0.0.1:${web.admin}/metrics`)).text()).toMatch(/weft_requests_total\{route="default\/api-routes\/0"[^}]*code="200"\} [1-9]/)
  })

  it('Should route an absolute-form (HTTP proxy) request by its request-target', async () => {
    const r = await send(web.outbound, 'http://api.default/abs', { host: 'ignored.example' })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ app: 'api', url: '/abs' })
  })

  it('Should tunnel CONNECT to a host outside the mesh (HTTPS_PROXY-style egress)', async () => {
    // A TCP service outside the mesh that answers the first line it reads, upper-cased.
    const target = createTcpServer((s) => s.once('data', (d) => s.end(String(d).toUpperCase())))
    await new Promise<void>((ok) => target.listen(0, '127.0.0.1', ok))
    const port = (target.address() as { port: number }).port
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const sock = netConnect(web.outbound, '127.0.0.1')
        let got = ''
        sock.on('data', (d) => {
          got += d
          if (got.includes('\r\n\r\n') && !got.includes('HELLO')) sock.write('hello tunnel\n')
        })
        sock.on('end', () => resolve(got))
        sock.on('error', reject)
        sock.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
      })
      expect(text).toMatch(/^HTTP\/1\.1 200/)
      expect(text).toContain('HELLO TUNNEL')
    } finally {
      target.close()
    }
  })

  it("Should drop a sidecar killed with SIGKILL from its peers' endpoints within the lease", async () => {
    await eventually(reachesApi, 10_000, 'web → api before the kill')
    const killed = api!
    await killed.stop('SIGKILL')
    api = undefined
    // The lease, plus the control plane's 1 s sweep, plus the bundle long-poll.
    const took = await eventually(async () => (await viaWeb()).status === 503, (LEASE + 3) * 1000, "api's instance dropped from web's bundle")
    expect(took).toBeLessThan((LEASE + 3) * 1000)
    expect((await instances()).some((i) => i.instance === killed.instance)).toBe(false)
  }, 20_000)

  it('Should deregister at once on SIGTERM, drain a request in flight, and exit 0', async () => {
    api = await startSidecar({ service: 'api', app: apiApp.url, control, token: tokens.api!, lease: 60 })
    await eventually(reachesApi, 10_000, 'web → the restarted api')
    const inFlight = viaWeb('/slow', { 'x-delay-ms': '500' })
    await new Promise((r) => setTimeout(r, 100))
    const stopping = api
    const t0 = Date.now()
    const exit = stopping.stop('SIGTERM')
    // The lease is 60 s: only the deregistration can remove it this fast.
    await eventually(async () => !(await instances()).some((i) => i.instance === stopping.instance), 2000, 'deregistered on SIGTERM')
    expect(Date.now() - t0).toBeLessThan(2000)
    const slow = await inFlight
    expect(slow.status).toBe(200)
    expect(JSON.parse(slow.body)).toMatchObject({ app: 'api', url: '/slow' })
    expect(await exit).toEqual({ code: 0, signal: null })
    expect(stopping.output()).toMatch(/deregistered instance/)
    api = undefined
    await eventually(async () => (await viaWeb()).status === 503, 3000, "api gone from web's bundle")
  }, 30_000)
})
