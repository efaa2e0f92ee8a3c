/**
 * @module
 * `compileScope`: the subset of the mesh config one proxy needs, so a bundle grows
 * with what that proxy serves and calls, not with the size of the mesh.
 *
 * - `gateway.NS.NAME`: that Gateway; the HTTPRoutes whose parentRefs name it; the
 *   Services those routes reference (rule backendRefs, backend filters, mirrors); the
 *   ReferenceGrants in the namespaces those references and the listeners' certificate
 *   refs point into; the Secrets its HTTPS listeners reference; the Namespaces of the
 *   Gateway and of its routes (their labels feed `allowedRoutes` selectors).
 * - `sidecar.NS.SVC` (and `sidecar.NS.*`, what every sidecar of NS is served): the Service itself; every HTTPRoute whose parentRef is a Service
 *   (GAMMA: the routes a caller's sidecar applies to its outbound calls); every Service.
 *   A sidecar may call any Service today, so every Service goes in; a later
 *   "dependencies" setting will narrow this to the Services it is allowed to call.
 *   The Namespaces of what is included.
 *
 * Portable: no runtime imports. Resources keep the loader's normalized form.
 *
 * @example
 * const subset = compileScope(config, 'gateway.default.edge')
 * subset.gateways.length // 1, or 0 when the Gateway does not exist (yet)
 */
import type { BackendObjectReference, ConfigSet, Gateway, HTTPRoute, HTTPRouteFilter } from '../config/types.js'
import { emptyConfigSet } from '../config/load.js'
import { parseScope } from './format.js'

const GATEWAY_GROUP = 'gateway.networking.k8s.io'

/** The resources the proxy of `scope` needs; an unknown scope format throws. */
export function compileScope(config: ConfigSet, scope: string): ConfigSet {
  const s = parseScope(scope) ?? parseNamespaceScope(scope)
  if (!s) throw new Error(`invalid proxy scope "${scope}": expected gateway.NAMESPACE.NAME or sidecar.NAMESPACE.SERVICE`)
  return s.kind === 'gateway' ? gatewaySubset(config, s.namespace, s.name) : sidecarSubset(config, s.namespace, s.name)
}

const key = (ns: string, name: string) => `${ns}/${name}`

/** `sidecar.NS.*`: every sidecar of a namespace (format.ts bundleScopeOf). */
function parseNamespaceScope(scope: string): { kind: 'sidecar'; namespace: string; name: string } | undefined {
  if (!scope.startsWith('sidecar.') || !scope.endsWith('.*')) return undefined
  const s = parseScope(`${scope.slice(0, -2)}.x`)
  return s && { kind: 'sidecar', namespace: s.namespace, name: '*' }
}

/** Every Service reference of a route: rule and backend filters' mirrors, and the backendRefs. */
export function routeBackendRefs(route: HTTPRoute): BackendObjectReference[] {
  const out: BackendObjectReference[] = []
  const mirrors = (filters: HTTPRouteFilter[]) => {
    for (const f of filters) if (f.type === 'RequestMirror') out.push(f.requestMirror.backendRef)
  }
  for (const rule of route.spec.rules) {
    mirrors(rule.filters)
    for (const b of rule.backendRefs) {
      out.push(b)
      mirrors(b.filters)
    }
  }
  return out
}

function isServiceRef(r: { group: string; kind: string }): boolean {
  return r.kind === 'Service' && (r.group === '' || r.group === 'core' || r.group === 'weft.dev')
}

function namesGateway(route: HTTPRoute, gw: Gateway): boolean {
  return route.spec.parentRefs.some(
    (p) => p.group === GATEWAY_GROUP && p.kind === 'Gateway' && p.namespace === gw.metadata.namespace && p.name === gw.metadata.name,
  )
}

/**
 * Lookups over one config, built once per ConfigSet (a control plane compiles every
 * scope of a version from the same object): with 1,000 Gateways, scanning every route
 * and Service per Gateway was a million comparisons per version.
 */
interface ConfigIndex {
  routesByGateway: Map<string, HTTPRoute[]>
  services: Map<string, ConfigSet['services'][number]>
  secrets: Map<string, ConfigSet['secrets'][number]>
  grantsByNamespace: Map<string, ConfigSet['referenceGrants']>
  namespaces: Map<string, ConfigSet['namespaces'][number]>
}
const indexes = new WeakMap<ConfigSet, ConfigIndex>()

function indexOf(config: ConfigSet): ConfigIndex {
  let ix = indexes.get(config)
  if (ix) return ix
  ix = { routesByGateway: new Map(), services: new Map(), secrets: new Map(), grantsByNamespace: new Map(), namespaces: new Map() }
  for (const r of config.httpRoutes) {
    const seen = new Set<string>()
    for (const p of r.spec.parentRefs) {
      if (p.group !== GATEWAY_GROUP || p.kind !== 'Gateway') continue
      const k = key(p.namespace, p.name)
      if (seen.has(k)) continue
      seen.add(k)
      const list = ix.routesByGateway.get(k)
      if (list) list.push(r)
      else ix.routesByGateway.set(k, [r])
    }
  }
  for (const x of config.services) ix.services.set(key(x.metadata.namespace, x.metadata.name), x)
  for (const x of config.secrets) ix.secrets.set(key(x.metadata.namespace, x.metadata.name), x)
  for (const g of config.referenceGrants) {
    const list = ix.grantsByNamespace.get(g.metadata.namespace)
    if (list) list.push(g)
    else ix.grantsByNamespace.set(g.metadata.namespace, [g])
  }
  for (const n of config.namespaces) ix.namespaces.set(n.metadata.name, n)
  indexes.set(config, ix)
  return ix
}

/** Resources by key, in the order of `keys`, skipping keys with none. */
function pick<T>(map: Map<string, T>, keys: Iterable<string>): T[] {
  const out: T[] = []
  for (const k of keys) {
    const v = map.get(k)
    if (v !== undefined) out.push(v)
  }
  return out
}

function gatewaySubset(config: ConfigSet, ns: string, name: string): ConfigSet {
  const out = emptyConfigSet()
  const gw = config.gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === name)
  if (!gw) return out
  const ix = indexOf(config)
  out.gateways.push(gw)
  out.httpRoutes = [...(ix.routesByGateway.get(key(ns, name)) ?? [])]

  const services = new Set<string>()
  const grantNamespaces = new Set<string>()
  for (const route of out.httpRoutes) {
    for (const ref of routeBackendRefs(route)) {
      if (!isServiceRef(ref)) continue
      services.add(key(ref.namespace, ref.name))
      if (ref.namespace !== route.metadata.namespace) grantNamespaces.add(ref.namespace)
    }
  }
  const secrets = new Set<string>()
  for (const l of gw.spec.listeners) {
    for (const ref of l.tls?.certificateRefs ?? []) {
      const refNs = ref.namespace ?? ns
      secrets.add(key(refNs, ref.name))
      if (refNs !== ns) grantNamespaces.add(refNs)
    }
  }
  // The config's own order, so a bundle's contents do not depend on the order references were met.
  out.services = pick(ix.services, services).sort(byConfigOrder(config.services))
  out.secrets = pick(ix.secrets, secrets).sort(byConfigOrder(config.secrets))
  out.referenceGrants = [...grantNamespaces].flatMap((n) => ix.grantsByNamespace.get(n) ?? []).sort(byConfigOrder(config.referenceGrants))
  const namespaces = new Set([ns, ...out.httpRoutes.map((r) => r.metadata.namespace)])
  out.namespaces = pick(ix.namespaces, namespaces).sort(byConfigOrder(config.namespaces))
  return out
}

/** Sort by position in `list` (positions looked up once per list and cached). */
const positions = new WeakMap<readonly object[], Map<object, number>>()
function byConfigOrder<T extends object>(list: readonly T[]): (a: T, b: T) => number {
  let pos = positions.get(list)
  if (!pos) {
    pos = new Map(list.map((x, i) => [x, i]))
    positions.set(list, pos)
  }
  const p = pos
  return (a, b) => p.get(a)! - p.get(b)!
}

function sidecarSubset(config: ConfigSet, ns: string, service: string): ConfigSet {
  const out = emptyConfigSet()
  // GAMMA routes: those attached to a Service. Every one is kept because the caller's
  // sidecar applies them (consumer and producer routes) to whatever Service it calls.
  out.httpRoutes = config.httpRoutes.filter((r) => r.spec.parentRefs.some((p) => p.kind === 'Service'))
  // All Services, for now: a sidecar may call any Service (its own included, for its
  // inbound side). The routes' backends are among them. A "dependencies" setting will narrow it.
  out.services = [...config.services]
  void service
  const namespaces = new Set([ns, ...out.httpRoutes.map((r) => r.metadata.namespace), ...out.services.map((s) => s.metadata.namespace)])
  out.namespaces = config.namespaces.filter((n) => namespaces.has(n.metadata.name))
  return out
}
