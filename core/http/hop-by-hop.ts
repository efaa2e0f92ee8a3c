/**
 * @module
 * Remove the header fields that describe one connection rather than the message
 * (RFC 9110 §7.6.1), so a proxy never forwards them to the next hop: the fixed
 * hop-by-hop names, every name the `Connection` field lists, and HTTP/2
 * pseudo-headers (`:path`, `:status`...), which are not fields at all and which
 * HTTP/1.1 encoders and node's HTTP/2 response API refuse.
 *
 * Applied to requests before they go upstream and to responses before they go
 * downstream; HTTP/2 (RFC 9113 §8.2.2) makes these fields a protocol error in
 * either direction, so a response with them could not even be written to an h2 client.
 *
 * @example
 * const h = { connection: 'close, x-trace', 'x-trace': '1', te: 'trailers', accept: '*' }
 * stripHopByHop(h) // h is now { accept: '*' }
 */
import type { HeaderMap } from './view.js'

/**
 * Never removed because the client listed it in `Connection`: the Host is what the
 * request was routed on and is forwarded unchanged (a client must not be able to make
 * the upstream see a different Host than the one Weft matched, e.g. `Connection: host`).
 */
const PROTECTED = 'host'

/**
 * Remove hop-by-hop fields from `headers` in place. Entries whose value is
 * `undefined` (which HeaderMap defines as absent) are dropped on the same pass, so
 * the map can be handed to node's writers, which reject undefined values.
 */
export function stripHopByHop(headers: HeaderMap): void {
  const connection = headers.connection
  if (connection !== undefined) removeListed(headers, connection)
  // Guarded deletes: `delete` of a missing key costs ~20x a lookup in V8 (measured
  // ~300 ns vs ~14 ns for the seven names), and usually none of them is present.
  if (connection !== undefined) delete headers.connection
  if (headers['proxy-connection'] !== undefined) delete headers['proxy-connection']
  if (headers['keep-alive'] !== undefined) delete headers['keep-alive']
  if (headers.te !== undefined) delete headers.te
  if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding']
  if (headers.upgrade !== undefined) delete headers.upgrade
  if (headers.trailer !== undefined) delete headers.trailer
  // One pass over the names (~50 ns for a dozen fields) for pseudo-headers and
  // undefined values, which any stage or an HTTP/2 peer can leave behind.
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || headers[name] === undefined) delete headers[name]
  }
}

/** Delete every field named in a `Connection` value (comma-separated, case-insensitive tokens). */
function removeListed(headers: HeaderMap, connection: string | string[]): void {
  const values = typeof connection === 'string' ? [connection] : connection
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase()
      if (name !== '' && name !== PROTECTED && headers[name] !== undefined) delete headers[name]
    }
  }
}
