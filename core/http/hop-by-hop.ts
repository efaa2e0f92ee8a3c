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
 * stripHopByHop(h) // h is now { connection: undefined, 'x-trace': undefined, te: undefined, accept: '*' }
 */
import type { HeaderMap } from './view.js'

/**
 * Never removed because the client listed it in `Connection`: the Host is what the
 * request was routed on and is forwarded unchanged (a client must not be able to make
 * the upstream see a different Host than the one Weft matched, e.g. `Connection: host`).
 */
const PROTECTED = 'host'

/**
 * Remove hop-by-hop fields from `headers` in place. A field is removed by setting it
 * to `undefined`, which HeaderMap's type allows and every reader treats as absent
 * (undici skips it, the response writer leaves it out): V8's `delete` of an existing
 * property turns the object into a slow dictionary, measured ~100 ns per deleted
 * field on node's headers object plus slower access for everything after it.
 */
export function stripHopByHop(headers: HeaderMap): void {
  const connection = headers.connection
  if (connection !== undefined) {
    // `keep-alive` and `close` name no field that is not removed anyway: the common case parses nothing.
    if (connection !== 'keep-alive' && connection !== 'close' && connection !== 'Keep-Alive' && connection !== 'Close') {
      clearListed(headers, connection)
    }
    headers.connection = undefined
  }
  // Guarded: usually none of them is present, and assigning would add the name.
  if (headers['proxy-connection'] !== undefined) headers['proxy-connection'] = undefined
  if (headers['keep-alive'] !== undefined) headers['keep-alive'] = undefined
  if (headers.te !== undefined) headers.te = undefined
  if (headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = undefined
  if (headers.upgrade !== undefined) headers.upgrade = undefined
  if (headers.trailer !== undefined) headers.trailer = undefined
  // One pass over the names (~50 ns for a dozen fields) for pseudo-headers, which an
  // HTTP/2 peer or a stage can leave behind.
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ && headers[name] !== undefined) headers[name] = undefined
  }
}

/** Clear every field named in a `Connection` value (comma-separated, case-insensitive tokens). */
function clearListed(headers: HeaderMap, connection: string | string[]): void {
  if (typeof connection !== 'string') {
    for (const value of connection) clearListed(headers, value)
    return
  }
  let start = 0
  for (let i = 0; i <= connection.length; i++) {
    if (i < connection.length && connection.charCodeAt(i) !== 0x2c /* ',' */) continue
    const name = connection.slice(start, i).trim().toLowerCase()
    if (name !== '' && name !== PROTECTED && headers[name] !== undefined) headers[name] = undefined
    start = i + 1
  }
}
