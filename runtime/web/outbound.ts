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
  return new Headers(headersInit(map))
}

/**
 * The map as a HeadersInit for a Web Request/Response/fetch: a plain record, or pairs
 * when a set-cookie has several values (one field line each). Not a Headers built with
 * append(): on Deno that costs ~8 µs more per message than an init the runtime converts
 * natively (the same on Bun). Names in `skip` are left out; other repeated values are
 * joined with ',' (Headers.append would join with ', '; Node sends one line per value,
 * which a recipient reads as joined with ',', RFC 9110 §5.3).
 */
export function headersInit(map: HeaderMap, skip?: ReadonlySet<string>): Record<string, string> | [string, string][] {
  const out: Record<string, string> = {}
  for (const name in map) {
    const v = map[name]
    if (v === undefined || skip?.has(name)) continue
    if (typeof v === 'string') out[name] = v
    else if (name === 'set-cookie' && v.length > 1) return headerPairs(map, skip)
    else out[name] = v.join(',')
  }
  return out
}

function headerPairs(map: HeaderMap, skip?: ReadonlySet<string>): [string, string][] {
  const pairs: [string, string][] = []
  for (const name in map) {
    const v = map[name]
    if (v === undefined || skip?.has(name)) continue
    if (typeof v === 'string') pairs.push([name, v])
    else if (name === 'set-cookie') for (const one of v) pairs.push([name, one])
    else pairs.push([name, v.join(',')])
  }
  return pairs
}

export function toWebResponse(r: ProxyResponse): Response {
  stripHopByHop(r.headers)
  const body = nullBodyStatus(r.status) ? null : (r.body as BodyInit | null)
  return new Response(body, { status: r.status, headers: headersInit(r.headers) })
}
