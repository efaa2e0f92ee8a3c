/**
 * @module
 * The request path is a chain of stages, one concern each (Envoy HTTP filters, tower layers).
 * A `Stage` wraps the next handler; chains are composed once per config snapshot, never per request.
 *
 * @example
 * const addHeader: Stage = (next) => async function addHeader(req, ctx) {
 *   req.headers['x-hello'] = 'world'
 *   return next(req, ctx)
 * }
 */
import type { ProxyRequest, ProxyResponse } from '../http/view.js'

/** Per-request state that stages share. One object per request; stages add to it. */
export interface RequestContext {
  /** Aborted when the downstream client goes away; timeout stages derive their own signal from it. */
  signal?: AbortSignal
  /** `performance.now()` when the request arrived. */
  start: number
  /** Filled in by the route stage: what matched, for rewrites, metrics and logs. */
  route?: MatchedRoute
  /** Filled in by the split stage: the backend chosen. */
  backend?: string
}

export interface MatchedRoute {
  /** `namespace/name` of the HTTPRoute. */
  route: string
  /** Index of the rule within the route. */
  rule: number
  /** The matched PathPrefix value (trailing '/' trimmed), for URLRewrite ReplacePrefixMatch. */
  prefix?: string
  /** Stable label for metrics: `ns/name/rule`. */
  label: string
}

export type Handler = (req: ProxyRequest, ctx: RequestContext) => Promise<ProxyResponse>
export type Stage = (next: Handler) => Handler
