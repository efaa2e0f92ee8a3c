/**
 * The sidecar's outbound routing on its own, with a fake upstream that reports which
 * endpoint it was sent to: addressing, producer/consumer route sets, parentRef
 * ports and defaults, hostnames ignored, 404 vs pass-through, egress, redirects
 * keeping the Service port, and cross-namespace backends without a ReferenceGrant.
 */
import { describe, expect, it } from 'vitest'
import { formatIssues, loadConfig } from '../config/load.js'
import type { ConfigSet } from '../config/types.js'
import type { ProxyRequest, ProxyResponse } from '../http/view.js'
import { MetricsRegistry } from '../metrics/registry.js'
import { proxyMetrics } from '../stages/telemetry.js'
import type { Endpoint, Upstream } from '../upstream/upstream.js'
import { buildOutboundSnapshot } from './outbound-snapshot.js'

function load(text: string): ConfigSet {
  const r = loadConfig([{ name: 'mesh.yaml', text }])
  if (!r.ok) throw new Error(formatIssues(r.issues))
  return r.config
}

const fakeUpstream: Upstream = {
  async send(ep: Endpoint, req: ProxyRequest): Promise<ProxyResponse> {
    return { status: 200, headers: { 'x-endpoint': ep.key, 'x-host': String(req.headers.host), 'x-path': req.path }, body: null }
  },
  mirror() {},
  async close() {},
}

const services = `
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: cart, namespace: shop }
spec:
  ports: [{ port: 80 }, { port: 8080 }]
  endpoints: [{ address: 10.0.0.1, port: 9000 }, { address: 10.0.0.2, port: 9000 }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: cart-v2, namespace: shop }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 10.0.0.3, port: 9000 }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: pay, namespace: billing }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 10.0.1.1, port: 9000 }]
`

const route = (ns: string, name: string, spec: string) =>
  `---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n${spec}`

const registry = new MetricsRegistry()
const metrics = proxyMetrics(registry)

function sidecar(config: ConfigSet, ns: string) {
  const snap = buildOutboundSnapshot(config, ns, 1, { upstream: fakeUpstream, metrics, log: () => {} })
  return async (authority: string, path = '/', headers: Record<string, string> = {}) => {
    const host = authority.replace(/:\d+$/, '').toLowerCase()
    const [p, q = ''] = path.split('?') as [string, string?]
    const req: ProxyRequest = {
      method: 'GET', scheme: 'http', authority, host, path: p, query: q, headers: { host: authority, ...headers },
      body: null, remoteAddress: '127.0.0.1', port: 15001,
    }
    const res = await snap.handler(req, { start: 0 })
    return { status: res.status, endpoint: res.headers['x-endpoint'], location: res.headers.location, error: res.headers['x-weft-error'], headers: res.headers }
  }
}

describe('outbound addressing', () => {
  const call = sidecar(load(services), 'shop')
  const other = sidecar(load(services), 'billing')

  it('Should resolve NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local, case-insensitively, with port 80 by default', async () => {
    for (const a of ['cart', 'cart.shop', 'cart.shop.svc', 'CART.shop.svc.cluster.local', 'cart:80', 'cart.shop:8080']) {
      expect((await call(a)).endpoint, a).toMatch(/^10\.0\.0\.[12]:9000$/)
    }
  })

  it('Should round-robin over the Service endpoints when no route is attached', async () => {
    const seen = new Set([(await call('cart')).endpoint, (await call('cart')).endpoint])
    expect(seen).toEqual(new Set(['10.0.0.1:9000', '10.0.0.2:9000']))
  })

  it('Should look a short name up in the caller namespace only; elsewhere it is egress', async () => {
    expect((await other('pay')).endpoint).toBe('10.0.1.1:9000')
    expect((await other('cart')).endpoint).toBe('cart:80')
    expect((await other('cart.shop')).endpoint).toMatch(/^10\.0\.0\./)
  })

  it('Should pass a host that is no Service port through as addressed (egress)', async () => {
    expect((await call('example.com')).endpoint).toBe('example.com:80')
    expect((await call('10.0.0.3:9000')).endpoint).toBe('10.0.0.3:9000')
    expect((await call('cart:9999')).endpoint).toBe('cart:9999')
  })
})

describe('GAMMA route sets', () => {
  const toV2 = (parent: string) => `  parentRefs: [${parent}]\n  rules: [{ backendRefs: [{ name: cart-v2, namespace: shop, port: 80 }] }]\n`

  it('Should apply a producer route to callers in every namespace, and ignore its hostnames', async () => {
    const config = load(services + route('shop', 'p', `  hostnames: [nowhere.example]\n` + toV2('{ group: "", kind: Service, name: cart }')))
    expect((await sidecar(config, 'shop')('cart')).endpoint).toBe('10.0.0.3:9000')
    expect((await sidecar(config, 'billing')('cart.shop')).endpoint).toBe('10.0.0.3:9000')
  })

  it('Should not attach a parentRef without group "" (the default is the Gateway group)', async () => {
    const config = load(services + route('shop', 'p', toV2('{ kind: Service, name: cart }')))
    expect((await sidecar(config, 'shop')('cart')).endpoint).toMatch(/^10\.0\.0\.[12]:/)
  })

  it('Should use the consumer routes in the caller namespace instead of the producer routes, and only there', async () => {
    const consumer = route('billing', 'c', `  parentRefs: [{ group: "", kind: Service, name: cart, namespace: shop }]\n  rules: [{ matches: [{ path: { type: PathPrefix, value: /only } }], backendRefs: [{ name: cart-v2, namespace: shop, port: 80 }] }]\n`)
    const producer = route('shop', 'p', toV2('{ group: "", kind: Service, name: cart }'))
    const config = load(services + consumer + producer)
    const billing = sidecar(config, 'billing')
    // consumer set: /only goes to v2 (no ReferenceGrant needed), everything else is a 404, the producer route is not merged in
    expect((await billing('cart.shop', '/only')).endpoint).toBe('10.0.0.3:9000')
    expect(await billing('cart.shop', '/')).toMatchObject({ status: 404, error: 'ERR_NO_ROUTE' })
    // the Service's own namespace and a third one use the producer set
    expect((await sidecar(config, 'shop')('cart', '/')).endpoint).toBe('10.0.0.3:9000')
    expect((await sidecar(config, 'other')('cart.shop', '/')).endpoint).toBe('10.0.0.3:9000')
  })

  it('Should attach a parentRef with a port to that Service port only', async () => {
    const config = load(services + route('shop', 'p', toV2('{ group: "", kind: Service, name: cart, port: 8080 }')))
    const call = sidecar(config, 'shop')
    expect((await call('cart:8080')).endpoint).toBe('10.0.0.3:9000')
    expect((await call('cart')).endpoint).toMatch(/^10\.0\.0\.[12]:/)
  })

  it('Should answer 404 itself when routes are attached and none matches', async () => {
    const config = load(services + route('shop', 'p', `  parentRefs: [{ group: "", kind: Service, name: cart }]\n  rules: [{ matches: [{ headers: [{ name: x-v, value: "2" }] }], backendRefs: [{ name: cart-v2, port: 80 }] }]\n`))
    const call = sidecar(config, 'shop')
    expect(await call('cart')).toMatchObject({ status: 404, endpoint: undefined })
    expect((await call('cart', '/', { 'x-v': '2' })).endpoint).toBe('10.0.0.3:9000')
  })
})

describe('outbound redirects', () => {
  const config = load(services + route('shop', 'r', `  parentRefs: [{ group: "", kind: Service, name: cart }]\n  rules:\n  - filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /new } } }]\n`))
  const call = sidecar(config, 'shop')

  it('Should keep the host as written and the Service port the call was addressed to', async () => {
    expect(await call('cart', '/old?a=1')).toMatchObject({ status: 302, location: 'http://cart/new?a=1' })
    expect(await call('cart.shop.svc:8080', '/old')).toMatchObject({ status: 302, location: 'http://cart.shop.svc:8080/new' })
  })
})
