/**
 * @module
 * The link from a request view to the node response it will be written to, so the
 * Node upstream can cancel its call when the client goes away before the response
 * head arrived, without an AbortSignal per request (server.ts has the numbers; a
 * symbol property costs nothing measurable). Node-only: the core never
 * sees it, and a view without the link (built by a test, or copied) simply is not
 * cancelled this way; a caller's signal still is.
 *
 * @example
 * linkDownstream(req, res)        // server.ts, once per request
 * downstreamOf(req)?.on('close', ...) // upstream.ts
 */
import type { ProxyRequest } from '../../core/http/view.js'
import type { NodeResponse } from './respond.js'

const kDownstream = Symbol('weft.downstream')

type Linked = ProxyRequest & { [kDownstream]?: NodeResponse }

export function linkDownstream(req: ProxyRequest, res: NodeResponse): void {
  ;(req as Linked)[kDownstream] = res
}

export function downstreamOf(req: ProxyRequest): NodeResponse | undefined {
  return (req as Linked)[kDownstream]
}
