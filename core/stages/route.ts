/**
 * @module
 * The routing stage: pick the listener (port, then the most specific hostname; on TLS
 * also from SNI, answering 421 when SNI and Host pick different listeners), then the
 * rule by the Gateway API precedence, and run that rule's precompiled chain. Only the
 * chosen listener's routes are consulted (listener isolation).
 *
 * @example
 * const handler = route(compiled.ports)
 */
import { MisdirectedRequest, NoRoute } from '../errors.js'
import type { Handler } from '../pipeline/stage.js'
import { lookupByHostname } from '../routing/hostname.js'
import { parseQuery } from '../routing/conditions.js'
import { matchRoute } from '../routing/route-table.js'
import type { CompiledPort } from '../routing/compile-gateway.js'

export function route(ports: Map<number, CompiledPort>): Handler {
  return function route(req, ctx) {
    const port = ports.get(req.port)
    if (port === undefined) return Promise.reject(new NoRoute(req.method, req.host, req.path))
    const listener = lookupByHostname(port.listeners, req.host)
    if (req.sni !== undefined && port.protocol === 'HTTPS') {
      const bySni = lookupByHostname(port.listeners, req.sni.toLowerCase())
      if (bySni !== listener) return Promise.reject(new MisdirectedRequest(req.sni, req.host))
    }
    if (listener === undefined) return Promise.reject(new NoRoute(req.method, req.host, req.path))
    let parsed: Map<string, string> | undefined
    const entry = matchRoute(listener.routes, req.host, req.method, req.path, req.headers, () => (parsed ??= parseQuery(req.query)))
    if (entry === undefined) return Promise.reject(new NoRoute(req.method, req.host, req.path))
    ctx.route = entry.target.matched
    return entry.target.handler(req, ctx)
  }
}
