/**
 * @module
 * Which HTTPRoutes attach to which listeners of a Gateway, and on which hostnames
 * (gateway_types.go AllowedRoutes, httproute_types.go ParentReference and Hostnames).
 * A route that cannot attach gets no traffic; the reason is kept for `/config`.
 *
 * @example
 * const a = attachRoutes(gateway, config)
 * a.get('http') // [{ route, hostnames: ['foo.example.com'] }]
 */
import type { ConfigSet, Gateway, HTTPRoute, LabelSelector, Listener } from '../config/types.js'
import { intersectHostnames } from './hostname.js'

export const GATEWAY_GROUP = 'gateway.networking.k8s.io'

export interface Attachment {
  route: HTTPRoute
  /** Effective hostnames on this listener, lower-case; '' = any host. */
  hostnames: string[]
}

export interface RouteStatus {
  route: string
  attached: string[]
  /** Why a parentRef naming this Gateway did not attach, per listener. */
  notAttached: string[]
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key)
    const val = labels[e.key]
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(val!)) return false; break
      case 'NotIn': if (has && (e.values ?? []).includes(val!)) return false; break
      case 'Exists': if (!has) return false; break
      case 'DoesNotExist': if (has) return false; break
    }
  }
  return true
}

/** Namespace labels, with the label Kubernetes adds to every namespace. */
export function namespaceLabels(config: ConfigSet, ns: string): Record<string, string> {
  const found = config.namespaces.find((n) => n.metadata.name === ns)
  return { ...(found?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns }
}

function listenerAllows(config: ConfigSet, gw: Gateway, l: Listener, route: HTTPRoute): string | undefined {
  if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') return `listener ${l.name} protocol ${l.protocol} does not take HTTPRoutes`
  if (l.allowedRoutes.kinds && l.allowedRoutes.kinds.length > 0) {
    const ok = l.allowedRoutes.kinds.some((k) => (k.group || GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute')
    if (!ok) return `listener ${l.name} does not allow kind HTTPRoute`
  }
  const ns = l.allowedRoutes.namespaces
  const routeNs = route.metadata.namespace
  if (ns.from === 'Same' && routeNs !== gw.metadata.namespace)
    return `listener ${l.name} only allows routes from namespace ${gw.metadata.namespace}`
  if (ns.from === 'Selector' && !selectorMatches(ns.selector, namespaceLabels(config, routeNs)))
    return `listener ${l.name} does not select namespace ${routeNs}`
  return undefined
}

function effectiveHostnames(l: Listener, route: HTTPRoute): string[] {
  const lh = l.hostname?.toLowerCase()
  if (route.spec.hostnames.length === 0) return [lh ?? '']
  const out = new Set<string>()
  for (const h of route.spec.hostnames) {
    const i = intersectHostnames(lh, h.toLowerCase())
    if (i !== undefined) out.add(i)
  }
  return [...out]
}

/** Attachments per listener name, plus each route's attachment status. */
export function attachRoutes(gw: Gateway, config: ConfigSet): { byListener: Map<string, Attachment[]>; status: RouteStatus[] } {
  const byListener = new Map<string, Attachment[]>(gw.spec.listeners.map((l) => [l.name, []]))
  const status: RouteStatus[] = []
  for (const route of config.httpRoutes) {
    const refs = route.spec.parentRefs.filter(
      (p) => p.group === GATEWAY_GROUP && p.kind === 'Gateway' && p.name === gw.metadata.name && p.namespace === gw.metadata.namespace,
    )
    if (refs.length === 0) continue
    const st: RouteStatus = { route: `${route.metadata.namespace}/${route.metadata.name}`, attached: [], notAttached: [] }
    status.push(st)
    const attachedTo = new Set<string>()
    for (const ref of refs) {
      const candidates = gw.spec.listeners.filter(
        (l) => (ref.sectionName === undefined || ref.sectionName === l.name) && (ref.port === undefined || ref.port === l.port),
      )
      if (candidates.length === 0) st.notAttached.push(`no listener matches sectionName=${ref.sectionName ?? '*'} port=${ref.port ?? '*'}`)
      for (const l of candidates) {
        if (attachedTo.has(l.name)) continue
        const refused = listenerAllows(config, gw, l, route)
        if (refused) { st.notAttached.push(refused); continue }
        const hostnames = effectiveHostnames(l, route)
        if (hostnames.length === 0) { st.notAttached.push(`no route hostname intersects listener ${l.name} hostname ${l.hostname}`); continue }
        attachedTo.add(l.name)
        st.attached.push(l.name)
        byListener.get(l.name)!.push({ route, hostnames })
      }
    }
  }
  return { byListener, status }
}
