/**
 * compileScope: a gateway gets its Gateway, its routes and only what they reference;
 * a sidecar gets the GAMMA routes and the Services; other proxies' resources stay out.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load.js'
import type { ConfigSet } from '../config/types.js'
import { compileScope } from './scope.js'

const MESH = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: shop } }
---
apiVersion: v1
kind: Namespace
metadata: { name: other }
---
apiVersion: v1
kind: Namespace
metadata: { name: infra }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: infra }
spec:
  gatewayClassName: weft
  listeners:
    - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }
    - name: https
      port: 443
      protocol: HTTPS
      tls: { mode: Terminate, certificateRefs: [{ name: edge-cert }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: internal, namespace: infra }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: v1
kind: Secret
metadata: { name: edge-cert, namespace: infra }
type: kubernetes.io/tls
stringData: { tls.crt: CERT, tls.key: KEY }
---
apiVersion: v1
kind: Secret
metadata: { name: unrelated, namespace: infra }
type: kubernetes.io/tls
stringData: { tls.crt: CERT, tls.key: KEY }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: shop, namespace: shop }
spec:
  parentRefs: [{ name: edge, namespace: infra }]
  rules:
    - filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: audit, namespace: other, port: 80 } } }]
      backendRefs: [{ name: api, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: internal, namespace: infra }
spec:
  parentRefs: [{ name: internal }]
  rules: [{ backendRefs: [{ name: admin, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-split, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: api, port: 80 }]
  rules: [{ backendRefs: [{ name: api-v1, port: 80, weight: 90 }, { name: api-v2, port: 80, weight: 10 }] }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: from-shop, namespace: other }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop }]
  to: [{ group: "", kind: Service }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: unrelated, namespace: infra }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop }]
  to: [{ group: "", kind: Service }]
${['api', 'api-v1', 'api-v2', 'web']
  .map((n) => `---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: ${n}, namespace: shop }
spec: { ports: [{ port: 80 }], endpoints: [{ address: 127.0.0.1, port: 3000 }] }`)
  .join('\n')}
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: audit, namespace: other }
spec: { ports: [{ port: 80 }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: admin, namespace: infra }
spec: { ports: [{ port: 80 }] }
`

function mesh(): ConfigSet {
  const r = loadConfig([{ name: 'mesh.yaml', text: MESH }])
  if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2))
  return r.config
}

const names = (list: { metadata: { namespace: string; name: string } }[]) => list.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort()

describe('compileScope', () => {
  it('Should give a gateway its Gateway, its routes and what they reference, and nothing else', () => {
    const s = compileScope(mesh(), 'gateway.infra.edge')
    expect(names(s.gateways)).toEqual(['infra/edge'])
    expect(names(s.httpRoutes)).toEqual(['shop/shop'])
    expect(names(s.services)).toEqual(['other/audit', 'shop/api'])
    expect(names(s.secrets)).toEqual(['infra/edge-cert'])
    expect(names(s.referenceGrants)).toEqual(['other/from-shop'])
    expect(s.namespaces.map((n) => n.metadata.name).sort()).toEqual(['infra', 'shop'])
    expect(s.namespaces.find((n) => n.metadata.name === 'shop')!.metadata.labels).toEqual({ team: 'shop' })
  })

  it('Should keep two gateways apart', () => {
    const s = compileScope(mesh(), 'gateway.infra.internal')
    expect(names(s.httpRoutes)).toEqual(['infra/internal'])
    expect(names(s.services)).toEqual(['infra/admin'])
    expect(s.secrets).toEqual([])
    expect(s.referenceGrants).toEqual([])
  })

  it('Should give an unknown gateway an empty config', () => {
    const s = compileScope(mesh(), 'gateway.infra.nope')
    expect(Object.values(s).every((l) => l.length === 0)).toBe(true)
  })

  it('Should give a sidecar the GAMMA routes and the Services, but no Gateway or its routes', () => {
    const s = compileScope(mesh(), 'sidecar.shop.web')
    expect(names(s.httpRoutes)).toEqual(['shop/api-split'])
    expect(names(s.services)).toContain('shop/web')
    expect(names(s.services)).toEqual(expect.arrayContaining(['shop/api', 'shop/api-v1', 'shop/api-v2']))
    expect(s.gateways).toEqual([])
    expect(s.secrets).toEqual([])
  })

  it('Should refuse a malformed scope', () => {
    expect(() => compileScope(mesh(), 'proxy.x')).toThrow(/invalid proxy scope/)
  })
})
