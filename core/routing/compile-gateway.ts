/**
 * @module
 * Compile the config for one Gateway into lookup structures, once per swap: per port,
 * a hostname table of listeners; per listener, a hostname table of path indexes whose
 * entries point at precompiled rule handlers. Nothing here runs per request.
 *
 * @example
 * const compiled = compileGateway(config, 'default/edge', { config, upstream })
 * compiled.ports.get(80)
 */
import type { ConfigSet, Gateway, HTTPRoute, Listener } from '../config/types.js'
import type { Handler } from '../pipeline/stage.js'
import { attachRoutes, type RouteStatus } from './attach.js'
import { referenceAllowed } from './backends.js'
import { compileConditions } from './conditions.js'
import { compileRule, type CompileDeps } from './compile-rule.js'
import { hostTableEntry, newHostTable, type HostTable } from './hostname.js'
import { PathIndex } from './path-index.js'
import type { RouteTable, RuleTarget } from './route-table.js'
import { fullMatch } from './conditions.js'

export interface CompiledListener {
  name: string
  port: number
  protocol: string
  hostname?: string
  routes: RouteTable
  /** PEM certificate and key for an HTTPS listener. */
  tls?: { cert: string; key: string }
  /** Why an HTTPS listener has no certificate (it then refuses TLS for its hostname). */
  tlsError?: string
  attachedRoutes: number
}

export interface CompiledPort {
  port: number
  protocol: 'HTTP' | 'HTTPS'
  listeners: HostTable<CompiledListener>
  all: CompiledListener[]
}

export interface CompiledGateway {
  gateway: Gateway
  ports: Map<number, CompiledPort>
  routeStatus: RouteStatus[]
  /** Problems that do not stop the gateway (conflicting listeners, missing certificates). */
  warnings: string[]
}

export class GatewayNotFound extends Error {
  constructor(ref: string, available: string[]) {
    super(`Gateway ${ref} is not in the config (found: ${available.length ? available.join(', ') : 'no Gateway'}); check --gateway NAMESPACE/NAME`)
    this.name = 'GatewayNotFound'
  }
}

function creationOrder(route: HTTPRoute): number {
  const t = route.metadata.creationTimestamp ? Date.parse(route.metadata.creationTimestamp) : NaN
  return Number.isNaN(t) ? 0 : t
}

function listenerTls(config: ConfigSet, gw: Gateway, l: Listener): Pick<CompiledListener, 'tls' | 'tlsError'> {
  const ref = l.tls?.certificateRefs[0]
  if (!ref) return { tlsError: `listener ${l.name} has no tls.certificateRefs` }
  const ns = ref.namespace ?? gw.metadata.namespace
  if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret')
    return { tlsError: `listener ${l.name} certificateRef ${ref.kind} is not a Secret` }
  if (ns !== gw.metadata.namespace && !referenceAllowed(config, 'Gateway', gw.metadata.namespace, '', 'Secret', ns, ref.name))
    return { tlsError: `listener ${l.name} certificateRef ${ns}/${ref.name} is in another namespace and no ReferenceGrant allows it` }
  const secret = config.secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === ref.name)
  if (!secret) return { tlsError: `listener ${l.name} certificateRef Secret ${ns}/${ref.name} does not exist` }
  const cert = secret.data['tls.crt']
  const key = secret.data['tls.key']
  if (!cert || !key) return { tlsError: `Secret ${ns}/${ref.name} lacks tls.crt or tls.key` }
  return { tls: { cert, key } }
}

export function compileGateway(config: ConfigSet, gatewayRef: string, deps: CompileDeps): CompiledGateway {
  const [ns, name] = gatewayRef.includes('/') ? gatewayRef.split('/', 2) as [string, string] : ['default', gatewayRef]
  const gw = config.gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === name)
  if (!gw) throw new GatewayNotFound(`${ns}/${name}`, config.gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`))

  const { byListener, status } = attachRoutes(gw, config)
  const warnings: string[] = []
  const ports = new Map<number, CompiledPort>()
  const ruleHandlers = new Map<string, Handler>()
  const ruleHandler = (route: HTTPRoute, i: number): Handler => {
    const key = `${route.metadata.namespace}/${route.metadata.name}/${i}`
    let h = ruleHandlers.get(key)
    if (!h) ruleHandlers.set(key, (h = compileRule(route, i, deps)))
    return h
  }

  for (const l of gw.spec.listeners) {
    if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') {
      warnings.push(`listener ${l.name}: protocol ${l.protocol} is not supported yet; listener ignored`)
      continue
    }
    let port = ports.get(l.port)
    if (!port) ports.set(l.port, (port = { port: l.port, protocol: l.protocol, listeners: newHostTable(), all: [] }))
    if (port.protocol !== l.protocol) {
      warnings.push(`listener ${l.name}: port ${l.port} already serves ${port.protocol}; listener ignored (protocol conflict)`)
      continue
    }
    const hostKey = l.hostname?.toLowerCase() ?? ''
    if (port.all.some((o) => (o.hostname ?? '') === hostKey)) {
      warnings.push(`listener ${l.name}: another listener on port ${l.port} has the same hostname; listener ignored (hostname conflict)`)
      continue
    }
    const attachments = byListener.get(l.name) ?? []
    const routes: RouteTable = newHostTable()
    for (const { route, hostnames } of attachments) {
      const routeKey = `${route.metadata.namespace}/${route.metadata.name}`
      const age = creationOrder(route)
      route.spec.rules.forEach((rule, ri) => {
        const handler = ruleHandler(route, ri)
        rule.matches.forEach((m, mi) => {
          const conditions = compileConditions(m)
          const kind = m.path.type === 'Exact' ? 'exact' : m.path.type === 'RegularExpression' ? 'regex' : 'prefix'
          const value = kind === 'prefix' ? m.path.value.replace(/\/+$/, '') : m.path.value
          const target: RuleTarget = {
            matched: { route: routeKey, rule: ri, prefix: kind === 'prefix' ? value : undefined, label: `${routeKey}/${ri}` },
            handler,
          }
          for (const h of hostnames) {
            hostTableEntry(routes, h, () => new PathIndex<RuleTarget>()).add({
              kind, value, regex: kind === 'regex' ? fullMatch(value) : undefined, conditions, order: [age, routeKey, ri, mi], target,
            })
          }
        })
      })
    }
    for (const idx of [...routes.exact.values(), ...routes.wildcards.values(), ...(routes.fallback ? [routes.fallback] : [])]) idx.finish()
    const compiled: CompiledListener = {
      name: l.name, port: l.port, protocol: l.protocol, hostname: l.hostname?.toLowerCase(), routes, attachedRoutes: attachments.length,
      ...(l.protocol === 'HTTPS' ? listenerTls(config, gw, l) : {}),
    }
    if (compiled.tlsError) warnings.push(compiled.tlsError)
    port.all.push(compiled)
    hostTableEntry(port.listeners, hostKey, () => compiled)
  }
  return { gateway: gw, ports, routeStatus: status, warnings }
}
