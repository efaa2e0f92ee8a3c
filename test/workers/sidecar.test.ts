/**
 * The worker-proxy Worker under Miniflare fed by a real `weft control`: inbound
 * requests reach the app through the APP service binding (here workerd's external
 * HTTP service to an echo app), the app's outbound calls (the `Outbound` entrypoint,
 * reached as a service binding would) are routed by the GAMMA routes of the Service
 * they name, a new bundle changes the routing, and other hosts pass through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEchoBackends, type EchoBackends } from '../fakes/echo-backend.js'
import { Miniflare, Log, LogLevel } from 'miniflare'
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, startWorkerdTarget, workerCode, type WorkerdTarget } from '../support/workerd-target.js'
import { controlWithToken, eventually, podOf, send, svc, type ControlWithToken } from './helpers.js'

let dir: string
let cp: ControlWithToken
let echo: EchoBackends
let t: WorkerdTarget

const meshRoute = (backend: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'api-split', namespace: 'default' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'api', port: 80 }],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/users' } }], backendRefs: [{ name: backend, port: 80 }] }],
  },
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-workers-sidecar-'))
  echo = await startEchoBackends([
    { namespace: 'default', name: 'web' },
    { namespace: 'default', name: 'api-v1' },
    { namespace: 'default', name: 'api-v2' },
  ])
  cp = await controlWithToken(join(dir, 'control'), { service: 'web', namespace: 'default' })
  const port = (n: string) => echo.ports.get(`default/${n}`)!
  await cp.apply([svc('web', port('web')), svc('api', port('api-v1')), svc('api-v1', port('api-v1')), svc('api-v2', port('api-v2')), meshRoute('api-v2')])
  t = await startWorkerdTarget({ role: 'sidecar', controlUrl: cp.control.url, trustJwks: cp.jwks, token: cp.token, service: 'web', namespace: 'default', app: `http://127.0.0.1:${port('web')}`, maxAgeSeconds: 0.5 })
  await t.ready()
}, 60_000)

afterAll(async () => {
  await t?.stop()
  await cp?.control.stop('SIGKILL')
  await echo?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('worker-proxy Worker (workerd via Miniflare) fed by weft control', () => {
  it('[cap workerd serve] inbound: a request from outside reaches the app through the APP binding, with the client\'s Host and forwarding headers', async () => {
    const r = await send(t.inboundUrl, '/hello?x=1', { host: 'web.example.com', 'x-from': 'outside' })
    expect(r.status).toBe(200)
    const e = JSON.parse(r.body) as { pod: string; host: string; path: string; headers: Record<string, string[]> }
    expect(e.pod).toMatch(/^web-/)
    expect(e.host).toBe('web.example.com')
    expect(e.path).toBe('/hello?x=1')
    expect(e.headers['X-From']).toEqual(['outside'])
    expect(e.headers['X-Forwarded-For']).toEqual(['127.0.0.1'])
  })

  it('outbound: a call naming a mesh Service is routed by its GAMMA route; every spelling of the name works; no matching rule is a 404', async () => {
    for (const host of ['api', 'api.default', 'api.default.svc.cluster.local', 'api:80']) {
      const r = await send(t.url, '/users/7', { host })
      expect(r.status, host).toBe(200)
      expect(podOf(r), host).toMatch(/^api-v2-/)
    }
    const miss = await send(t.url, '/orders', { host: 'api' })
    expect(miss.status).toBe(404)
    expect(miss.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
    // A Service with no route attached: its own endpoints.
    expect(podOf(await send(t.url, '/any', { host: 'api-v1' }))).toMatch(/^api-v1-/)
  })

  it('[cap workerd hot-swap] outbound: a new bundle from the control plane changes the routing, picked up on requests', async () => {
    await cp.apply([meshRoute('api-v1')])
    await eventually(() => send(t.url, '/users/8', { host: 'api' }), (r) => podOf(r).startsWith('api-v1-'), 10_000, 'api-v1 after the apply')
  })

  it('outbound: a host that is no mesh Service passes through unchanged (egress)', async () => {
    const r = await send(t.url, '/direct', { host: `127.0.0.1:${echo.ports.get('default/api-v2')}` })
    expect(r.status).toBe(200)
    expect(podOf(r)).toMatch(/^api-v2-/)
  })

  it('inbound never routes into the mesh: Host api from outside goes to the app, not to the api Service', async () => {
    const r = await send(t.inboundUrl, '/users/9', { host: 'api' })
    expect(podOf(r)).toMatch(/^web-/)
  })
})

/** An app Worker that calls the mesh through its MESH binding, as the docs tell an app to. */
const APP_WORKER = `export default {
  async fetch(request, env) {
    const u = new URL(request.url)
    if (u.pathname === '/call') {
      const res = await env.MESH.fetch('http://' + u.searchParams.get('to') + u.searchParams.get('path'))
      return new Response(await res.text(), { status: res.status, headers: { 'x-app': 'web-worker' } })
    }
    return new Response('web app Worker: ' + request.headers.get('host') + ' ' + u.pathname)
  },
}`

describe('worker-proxy Worker with an app Worker, wired by service bindings as on Cloudflare', () => {
  let mf: Miniflare | undefined
  afterAll(async () => {
    await mf?.dispose()
  })

  it('[cap workerd serve] outside → proxy (inbound) → APP Worker → env.MESH (the Outbound entrypoint) → api, routed by its GAMMA route', async () => {
    mf = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      workers: [
        {
          name: 'weft-worker-proxy',
          modules: true,
          script: (await workerCode())['worker-proxy']!,
          compatibilityDate: COMPATIBILITY_DATE,
          compatibilityFlags: COMPATIBILITY_FLAGS,
          kvNamespaces: ['WEFT_BUNDLES'],
          bindings: { WEFT_CONTROL_URL: cp.control.url, WEFT_TRUST_JWKS: cp.jwks, WEFT_TOKEN: cp.token, WEFT_SERVICE: 'web', WEFT_NAMESPACE: 'default' },
          serviceBindings: { APP: 'web' },
        },
        {
          name: 'web',
          modules: true,
          script: APP_WORKER,
          compatibilityDate: COMPATIBILITY_DATE,
          serviceBindings: { MESH: { name: 'weft-worker-proxy', entrypoint: 'Outbound' } },
        },
      ],
    })
    const url = (await mf.ready).href.replace(/\/$/, '')
    const plain = await send(url, '/hello', { host: 'web.example.com' })
    expect(plain.body).toBe('web app Worker: web.example.com /hello')
    // The inbound request's own refresh is under way while its app calls back into Outbound (same isolate): no hang.
    const r = await send(url, `/call?to=api&path=${encodeURIComponent('/users/10')}`)
    expect(r.status).toBe(200)
    expect(r.headers['x-app']).toBe('web-worker')
    expect(podOf(r)).toMatch(/^api-v1-/) // the route was switched to api-v1 above
    expect((JSON.parse(r.body) as { path: string }).path).toBe('/users/10')
    const miss = await send(url, `/call?to=api&path=${encodeURIComponent('/orders')}`)
    expect(miss.status).toBe(404)
  }, 60_000)
})
