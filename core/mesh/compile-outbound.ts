/**
 * @module
 * Compile the outbound routing of one sidecar, once per snapshot: for every mesh
 * Service port, the names a caller may address it by (`NAME` in the caller's own
 * namespace, `NAME.NS`, `NAME.NS.svc`, `NAME.NS.svc.cluster.local`, each `:PORT`) map to
 * one destination: either a PathIndex of the GAMMA routes attached to that port, or
 * (no route attached) the Service's own endpoints.
 *
 * GAMMA rules (GEP-1294, MESH-NOTES.md section 1):
 * - a route attaches by a parentRef with `group: ""`, `kind: Service`; a parentRef
 *   `port` limits it to that Service port; `hostnames` are ignored;
 * - a caller in namespace C calling Service S in namespace P uses the consumer routes
 *   (routes in C with S as parent) when C is not P and at least one exists for S,
 *   otherwise the producer routes (routes in P); the two sets are never merged and
 *   routes in a third namespace never apply;
 * - backendRefs reach any namespace without a ReferenceGrant.
 *
 * @example
 * const table = compileOutbound(config, 'shop', { config, upstream })
 * table.destinations.get('cart.shop:80')
 */
import type { ConfigSet, HTTPRoute, ParentReference, Service } from '../config/types.js'
import type { Handler } from '../pipeline/stage.js'
import { compileConditions, fullMatch } from '../routing/conditions.js'
import { compileRule, type CompileDeps } from '../routing/compile-rule.js'
import { resolveBackend } from '../routing/backends.js'
import { PathIndex } from '../routing/path-index.js'
import type { RuleTarget } from '../routing/route-table.js'
import { forward } from '../stages/forward.js'

/** The mesh's cluster domain: `NAME.NS.svc.<domain>` addresses a Service. */
export const CLUSTER_DOMAIN = 'cluster.local'

/** One Service port as a call destination. */
export interface OutboundDestination {
  /** `namespace/name` of the Service. */
  service: string
  port: number
  /** The GAMMA routes attached to this port for this caller; undefined = none (pass-through). */
  routes?: PathIndex<RuleTarget>
  /** `namespace/name` of the attached routes (for /config and tests). */
  attached: string[]
  /** Whether the attached routes are the caller's consumer routes or the Service's producer routes. */
  routeSet?: 'consumer' | 'producer'
  /** Forward to the Service's own endpoints (round robin): used when no route is attached. */
  passThrough: Handler
}

export interface CompiledOutbound {
  callerNamespace: string
  /** Keyed `host:port`, host lower-case, every accepted spelling of every Service port. */
  destinations: Map<string, OutboundDestination>
}

export const GAMMA_GROUP = ''

/** Does this parentRef name Service `svc` (and, when the ref has a port, Service port `port`)? */
function parentIsServicePort(ref: ParentReference, svc: Service, port: number): boolean {
  return (
    ref.group === GAMMA_GROUP &&
    ref.kind === 'Service' &&
    ref.name === svc.metadata.name &&
    ref.namespace === svc.metadata.namespace &&
    (ref.port === undefined || ref.port === port)
  )
}

function parentIsService(ref: ParentReference, svc: Service): boolean {
  return ref.group === GAMMA_GROUP && ref.kind === 'Service' && ref.name === svc.metadata.name && ref.namespace === svc.metadata.namespace
}

function creationOrder(route: HTTPRoute): number {
  const t = route.metadata.creationTimestamp ? Date.parse(route.metadata.creationTimestamp) : NaN
  return Number.isNaN(t) ? 0 : t
}

/** The names a caller in `callerNs` may use for Service `name` in `ns`. */
export function serviceNames(name: string, ns: string, callerNs: string): string[] {
  const names = [`${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.${CLUSTER_DOMAIN}`]
  if (ns === callerNs) names.unshift(name)
  return names.map((n) => n.toLowerCase())
}

/**
 * The route set a caller in `callerNs` uses for Service `svc`: its consumer routes
 * when it is in another namespace and has any for this Service (decided per Service,
 * not per port: MESH-NOTES section 5 leaves it open), else the producer routes.
 */
export function routeSetFor(config: ConfigSet, svc: Service, callerNs: string): { set: 'consumer' | 'producer'; routes: HTTPRoute[] } {
  const svcNs = svc.metadata.namespace
  const attached = (ns: string) =>
    config.httpRoutes.filter((r) => r.metadata.namespace === ns && r.spec.parentRefs.some((p) => parentIsService(p, svc)))
  if (callerNs !== svcNs) {
    const consumer = attached(callerNs)
    if (consumer.length > 0) return { set: 'consumer', routes: consumer }
  }
  return { set: 'producer', routes: attached(svcNs) }
}

export function compileOutbound(config: ConfigSet, callerNamespace: string, deps: CompileDeps): CompiledOutbound {
  const meshDeps: CompileDeps = { ...deps, skipReferenceGrant: true }
  const destinations = new Map<string, OutboundDestination>()
  const ruleHandlers = new Map<string, Handler>()
  const ruleHandler = (route: HTTPRoute, i: number): Handler => {
    const key = `${route.metadata.namespace}/${route.metadata.name}/${i}`
    let h = ruleHandlers.get(key)
    if (!h) ruleHandlers.set(key, (h = compileRule(route, i, meshDeps)))
    return h
  }

  for (const svc of config.services) {
    const { name, namespace } = svc.metadata
    const names = serviceNames(name, namespace, callerNamespace)
    const { set, routes: candidates } = routeSetFor(config, svc, callerNamespace)
    for (const sp of svc.spec.ports) {
      const routes = candidates.filter((r) => r.spec.parentRefs.some((p) => parentIsServicePort(p, svc, sp.port)))
      const passThrough = forward(
        resolveBackend(config, 'HTTPRoute', namespace, { group: '', kind: 'Service', name, namespace, port: sp.port }, { skipReferenceGrant: true }),
        deps.upstream,
      )
      const dest: OutboundDestination = { service: `${namespace}/${name}`, port: sp.port, attached: [], passThrough }
      if (routes.length > 0) {
        const index = new PathIndex<RuleTarget>()
        for (const route of routes) {
          const routeKey = `${route.metadata.namespace}/${route.metadata.name}`
          const age = creationOrder(route)
          route.spec.rules.forEach((rule, ri) => {
            const handler = ruleHandler(route, ri)
            rule.matches.forEach((m, mi) => {
              const kind = m.path.type === 'Exact' ? 'exact' : m.path.type === 'RegularExpression' ? 'regex' : 'prefix'
              const value = kind === 'prefix' ? m.path.value.replace(/\/+$/, '') : m.path.value
              index.add({
                kind,
                value,
                regex: kind === 'regex' ? fullMatch(value) : undefined,
                conditions: compileConditions(m),
                order: [age, routeKey, ri, mi],
                target: {
                  matched: { route: routeKey, rule: ri, prefix: kind === 'prefix' ? value : undefined, label: `${routeKey}/${ri}` },
                  handler,
                },
              })
            })
          })
          dest.attached.push(routeKey)
        }
        index.finish()
        dest.routes = index
        dest.routeSet = set
      }
      for (const n of names) destinations.set(`${n}:${sp.port}`, dest)
    }
  }
  return { callerNamespace, destinations }
}
