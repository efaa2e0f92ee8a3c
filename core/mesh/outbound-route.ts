/**
 * @module
 * The sidecar's outbound routing stage. The destination comes from the request's
 * authority (the Host header of an origin-form request, the target of an absolute-form
 * one: the adapter has already put the right one into `req.authority`/`req.host`);
 * no port means 80. Then, per request (never per connection):
 * - a mesh Service port with GAMMA routes attached: the highest-precedence matching
 *   rule's chain, or 404 (NoRoute) when none matches: nothing is forwarded;
 * - a mesh Service port with no route: the Service's own endpoints (round robin);
 * - anything else (another host, a pod address): egress pass-through to that
 *   host:port as addressed.
 * `req.port` is set to the Service port the call was addressed to, so a redirect
 * without its own port or scheme keeps it (MESH-NOTES section 3).
 *
 * @example
 * const handler = outboundRoute(compileOutbound(config, 'shop', deps), upstream)
 */
import { NoRoute } from '../errors.js'
import type { ProxyRequest } from '../http/view.js'
import type { Handler } from '../pipeline/stage.js'
import { parseQuery } from '../routing/conditions.js'
import { endpointKey } from '../routing/backends.js'
import type { Upstream } from '../upstream/upstream.js'
import type { CompiledOutbound } from './compile-outbound.js'

/** The port of an authority, or 80 when it names none. */
export function authorityPort(authority: string): number {
  const colon = authority.lastIndexOf(':')
  if (colon < 0 || colon < authority.lastIndexOf(']') || colon === authority.length - 1) return 80
  const port = Number(authority.slice(colon + 1))
  return Number.isInteger(port) ? port : 80
}

export function outboundRoute(compiled: CompiledOutbound, upstream: Upstream): Handler {
  const { destinations } = compiled
  return function outboundRoute(req, ctx) {
    const port = authorityPort(req.authority)
    const dest = destinations.get(`${req.host}:${port}`)
    if (dest === undefined) return egress(req, port, upstream, ctx.signal)
    req.port = dest.port
    const routes = dest.routes
    if (routes === undefined) return dest.passThrough(req, ctx)
    let parsed: Map<string, string> | undefined
    const entry = routes.lookup(req.method, req.path, req.headers, () => (parsed ??= parseQuery(req.query)))
    if (entry === undefined) return Promise.reject(new NoRoute(req.method, req.host, req.path))
    ctx.route = entry.target.matched
    return entry.target.handler(req, ctx)
  }
}

/** A host that is no mesh Service passes through unchanged to host:port. */
function egress(req: ProxyRequest, port: number, upstream: Upstream, signal: AbortSignal | undefined) {
  if (req.host === '') return Promise.reject(new NoRoute(req.method, req.host, req.path))
  const address = req.host.startsWith('[') ? req.host.slice(1, -1) : req.host
  return upstream.send({ address, port, key: endpointKey(address, port) }, req, signal)
}
