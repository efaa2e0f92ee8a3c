/**
 * The API server's defaults, applied by the loader (conformance NOTES "Defaulting"
 * and the `conventions` list of httproute-cases.json), checked field by field on
 * minimal manifests.
 */
import { describe, expect, it } from 'vitest'
import { formatIssues, loadConfig } from './load.js'
import type { ConfigSet } from './types.js'

function load(text: string): ConfigSet {
  const r = loadConfig([{ name: 'mesh.yaml', text }])
  if (!r.ok) throw new Error(formatIssues(r.issues))
  return r.config
}

const route = (spec: string, meta = 'metadata: { name: web, namespace: shop }') =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n${meta}\nspec:\n${spec}`

describe('HTTPRoute defaults', () => {
  it('Should give a rule without matches one PathPrefix / match, and empty filters and backendRefs', () => {
    const [r] = load(route('  rules: [{}]')).httpRoutes
    expect(r!.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }], filters: [], backendRefs: [] }])
  })

  it('Should give a route without rules the CRD default rule, and no hostnames or parentRefs', () => {
    const [r] = load(route('  {}')).httpRoutes
    expect(r!.spec).toEqual({
      parentRefs: [],
      hostnames: [],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }], filters: [], backendRefs: [] }],
    })
  })

  it('Should give a match with only headers, query params or a method the path PathPrefix /', () => {
    const [r] = load(
      route(`  rules:
    - matches:
        - headers: [{ name: version, value: two }]
        - queryParams: [{ name: animal, value: whale }]
        - method: POST
        - path: { value: /v2 }
        - path: { type: Exact }`),
    ).httpRoutes
    const m = r!.spec.rules[0]!.matches
    expect(m[0]).toEqual({ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'version', value: 'two' }], queryParams: [] })
    expect(m[1]).toEqual({ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [{ type: 'Exact', name: 'animal', value: 'whale' }] })
    expect(m[2]).toEqual({ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [], method: 'POST' })
    expect(m[3]!.path).toEqual({ type: 'PathPrefix', value: '/v2' })
    expect(m[4]!.path).toEqual({ type: 'Exact', value: '/' })
  })

  it('Should default backendRefs to the core Service kind in the route namespace, weight 1, no filters', () => {
    const [r] = load(route('  rules: [{ backendRefs: [{ name: api, port: 8080 }, { name: db, namespace: data, port: 5432, weight: 0 }] }]')).httpRoutes
    expect(r!.spec.rules[0]!.backendRefs).toEqual([
      { group: '', kind: 'Service', name: 'api', namespace: 'shop', port: 8080, weight: 1, filters: [] },
      { group: '', kind: 'Service', name: 'db', namespace: 'data', port: 5432, weight: 0, filters: [] },
    ])
  })

  it('Should default parentRefs to a Gateway in the route namespace', () => {
    const [r] = load(route('  parentRefs: [{ name: edge }, { name: other, namespace: infra, sectionName: http }]')).httpRoutes
    expect(r!.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop', name: 'edge' },
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'other', sectionName: 'http' },
    ])
  })

  it('Should keep an explicit GAMMA Service parent as written', () => {
    const [r] = load(route('  parentRefs: [{ group: "", kind: Service, name: api, port: 80 }]')).httpRoutes
    expect(r!.spec.parentRefs).toEqual([{ group: '', kind: 'Service', namespace: 'shop', name: 'api', port: 80 }])
  })

  it('Should default the redirect status to 302 and the mirror to the route namespace with denominator 100', () => {
    const [r] = load(
      route(`  rules:
    - filters: [{ type: RequestRedirect, requestRedirect: { scheme: https } }]
    - filters:
        - { type: RequestMirror, requestMirror: { backendRef: { name: copy, port: 80 }, fraction: { numerator: 5 } } }
        - { type: RequestMirror, requestMirror: { backendRef: { name: all, port: 80 } } }
      backendRefs: [{ name: api, port: 80, filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: b, port: 81 } } }] }]`),
    ).httpRoutes
    const [redirect, mirror] = r!.spec.rules
    expect(redirect!.filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 302 } }])
    expect(mirror!.filters).toEqual([
      { type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'copy', namespace: 'shop', port: 80 }, fraction: { numerator: 5, denominator: 100 } } },
      // Neither percent nor fraction: the data plane mirrors every request.
      { type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'all', namespace: 'shop', port: 80 } } },
    ])
    expect(mirror!.backendRefs[0]!.filters[0]).toMatchObject({ requestMirror: { backendRef: { namespace: 'shop', name: 'b' } } })
  })

  it('Should default metadata.namespace to default and labels to {}', () => {
    const [r] = load(route('  {}', 'metadata: { name: web }')).httpRoutes
    expect(r!.metadata).toEqual({ name: 'web', namespace: 'default', labels: {} })
    expect(r!.spec.rules[0]!.backendRefs).toEqual([])
  })

  it('Should read `field:` with no value (null) as an absent field, as Kubernetes does', () => {
    const [r] = load(route('  hostnames:\n  rules:\n    - matches:\n      backendRefs: [{ name: api, port: 80, namespace: }]', 'metadata: { name: web, namespace: }')).httpRoutes
    expect(r!.metadata.namespace).toBe('default')
    expect(r!.spec.hostnames).toEqual([])
    expect(r!.spec.rules[0]!.matches).toHaveLength(1)
    expect(r!.spec.rules[0]!.backendRefs[0]!.namespace).toBe('default')
  })
})

describe('Gateway defaults', () => {
  it('Should default allowedRoutes to the same namespace and TLS to Terminate with core Secret refs', () => {
    const [g] = load(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  gatewayClassName: weft
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - { name: https, port: 443, protocol: HTTPS, tls: { certificateRefs: [{ name: cert }] }, allowedRoutes: { kinds: [{ kind: HTTPRoute }] } }
    - { name: all, port: 8080, protocol: HTTP, allowedRoutes: { namespaces: {} } }`).gateways
    const [http, https, all] = g!.spec.listeners
    expect(http).toEqual({ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } })
    expect(https!.tls).toEqual({ mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'cert' }] })
    expect(https!.allowedRoutes).toEqual({ namespaces: { from: 'Same' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] })
    expect(all!.allowedRoutes).toEqual({ namespaces: { from: 'Same' } })
  })
})

describe('Weft Service and core defaults', () => {
  it('Should default Service ports and endpoints to [] and endpoint labels to {}', () => {
    const c = load(`apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: empty }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: api, namespace: shop }
spec:
  ports: [{ name: http, port: 80, targetPort: 8080, appProtocol: http }]
  endpoints: [{ address: 10.0.0.5, port: 8080 }, { address: api.internal, port: 8080, labels: { zone: a } }]`)
    expect(c.services[0]!.spec).toEqual({ ports: [], endpoints: [] })
    expect(c.services[1]!.spec).toEqual({
      ports: [{ name: 'http', port: 80, targetPort: 8080, appProtocol: 'http' }],
      endpoints: [
        { address: '10.0.0.5', port: 8080, labels: {} },
        { address: 'api.internal', port: 8080, labels: { zone: 'a' } },
      ],
    })
  })

  it('Should read a Namespace as cluster-scoped, with its labels', () => {
    const [ns] = load('apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, namespace: ignored, labels: { team: web } }').namespaces
    expect(ns!.metadata).toEqual({ name: 'shop', namespace: '', labels: { team: 'web' } })
  })

  it('Should default a Secret type to Opaque', () => {
    const [s] = load('apiVersion: v1\nkind: Secret\nmetadata: { name: s }\nstringData: { token: abc }').secrets
    expect(s).toMatchObject({ type: 'Opaque', data: { token: 'abc' } })
  })
})
