/**
 * @module
 * Weft's ProxyResponse as a Web `Response` (what Bun.serve, Deno.serve and a Worker
 * answer with). Hop-by-hop fields are removed, as on Node; set-cookie stays one field
 * line per value, other repeated fields are joined with ','.
 *
 * @example
 * return toWebResponse({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hi\n' })
 */
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import type { HeaderMap, ProxyResponse } from '../../core/http/view.js'

/** Status codes a Web Response may not carry a body with. */
function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304
}

export function toWebHeaders(map: HeaderMap): Headers {
  const h = new Headers()
  for (const name in map) {
    const v = map[name]
    if (v === undefined) continue
    if (typeof v === 'string') h.append(name, v)
    else if (name === 'set-cookie') for (const one of v) h.append(name, one)
    // Headers.append would join with ', '; Node sends one line per value, which a
    // recipient reads as joined with ',' (RFC 9110 §5.3): join the same way here.
    else h.append(name, v.join(','))
  }
  return h
}

export function toWebResponse(r: ProxyResponse): Response {
  stripHopByHop(r.headers)
  const body = nullBodyStatus(r.status) ? null : (r.body as BodyInit | null)
  return new Response(body, { status: r.status, headers: toWebHeaders(r.headers) })
}
