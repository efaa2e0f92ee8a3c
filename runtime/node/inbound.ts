/**
 * @module
 * Turn what node:http / node:http2 parsed into Weft's ProxyRequest, without copying:
 * the headers map is node's own `req.headers` object and the body is the request
 * stream itself. Everything routing relies on (Host, request-target) is validated here
 * and a violation throws BadRequest, so no stage ever sees an ambiguous request.
 *
 * @example
 * const server = http.createServer((req, res) => {
 *   const pr = toProxyRequest(req, 'http', 8080) // throws BadRequest on a bad Host or target
 * })
 */
import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import { BadRequest } from '../../core/errors.js'
import { authorityHost, readTarget } from '../../core/http/request-target.js'
import type { HeaderMap, ProxyRequest } from '../../core/http/view.js'

/**
 * Build the request view. `scheme` and `port` describe the listener the request
 * arrived on. For HTTP/2 the pseudo-headers are cleared from the (node-owned) headers
 * object and `:authority` becomes `host`, so stages and the HTTP/1.1 upstream see one
 * shape; read `method`/`url` from the returned view, not from `req`, afterwards.
 */
export function toProxyRequest(
  req: IncomingMessage | Http2ServerRequest,
  scheme: 'http' | 'https',
  port: number,
): ProxyRequest {
  const headers = req.headers as HeaderMap
  const method = req.method ?? ''
  const url = req.url
  const h2 = req.httpVersionMajor === 2
  let authority = h2 ? h2Authority(headers) : h1Host(req as IncomingMessage, headers)
  const socket = req.socket as TLSSocket
  const pr: ProxyRequest = {
    method,
    scheme,
    authority: '',
    host: '',
    path: '',
    query: '',
    headers,
    body: null,
    remoteAddress: clientAddress(socket.remoteAddress),
    port,
    sni: scheme === 'https' ? socket.servername || undefined : undefined,
    httpVersion: req.httpVersion,
  }
  if (typeof url !== 'string' || url === '') throw new BadRequest(`${method} request without a request-target (CONNECT is not supported)`)
  const targetAuthority = readTarget(url, pr)
  if (targetAuthority !== undefined) {
    // RFC 9112 §3.2.2: for an absolute-form target the target's authority wins over
    // Host, and a proxy forwards it as the Host.
    authority = targetAuthority
    headers.host = targetAuthority
  } else if (authority === undefined) {
    // HTTP/1.0 may omit Host (the view then has host ''); 1.1 and 2 must identify it.
    if (req.httpVersionMajor !== 1 || req.httpVersionMinor !== 0) throw new BadRequest('missing Host header')
    authority = ''
  }
  if (pr.path === '*' && method !== 'OPTIONS') throw new BadRequest(`asterisk-form request-target "*" is only valid for OPTIONS, not ${method}`)
  pr.authority = authority
  pr.host = authority === '' ? '' : authorityHost(authority)
  if (hasBody(req, headers, h2)) pr.body = req
  return pr
}

/**
 * The Host of an HTTP/1 request. node keeps the first of several Host lines and drops
 * the others, but RFC 9112 §3.2 requires a 400 for more than one: two parsers along
 * the path could each pick a different one. rawHeaders is already there; scanning it
 * compares lengths first and costs tens of nanoseconds.
 */
function h1Host(req: IncomingMessage, headers: HeaderMap): string | undefined {
  const host = headers.host
  if (host === undefined) return undefined
  const raw = req.rawHeaders
  let seen = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && name.toLowerCase() === 'host' && ++seen > 1) throw new BadRequest('more than one Host header')
  }
  return typeof host === 'string' ? host : undefined
}

/** `:authority` (or `host`, which RFC 9113 §8.3.1 allows instead), with pseudo-headers removed. */
function h2Authority(headers: HeaderMap): string | undefined {
  const pseudo = headers[':authority']
  const host = headers.host
  // Cleared, not deleted: undefined is absent in a HeaderMap and keeps the object fast (hop-by-hop.ts).
  if (pseudo !== undefined) headers[':authority'] = undefined
  if (headers[':method'] !== undefined) headers[':method'] = undefined
  if (headers[':path'] !== undefined) headers[':path'] = undefined
  if (headers[':scheme'] !== undefined) headers[':scheme'] = undefined
  if (headers[':protocol'] !== undefined) headers[':protocol'] = undefined
  if (typeof pseudo !== 'string') return typeof host === 'string' ? host : undefined
  if (host !== undefined && host !== pseudo) throw new BadRequest('Host header and :authority disagree')
  headers.host = pseudo
  return pseudo
}

/**
 * Whether a body follows the head. HTTP/1.1 frames it with Content-Length or
 * Transfer-Encoding (RFC 9112 §6.3); without either, or with length 0, there is none
 * and the upstream request is sent without one too. HTTP/2 says so with END_STREAM
 * on the HEADERS frame.
 */
function hasBody(req: IncomingMessage | Http2ServerRequest, headers: HeaderMap, h2: boolean): boolean {
  const length = headers['content-length']
  if (length === '0') return false
  if (h2) return !(req as Http2ServerRequest).stream.endAfterHeaders
  return length !== undefined || headers['transfer-encoding'] !== undefined
}

/**
 * The peer address; an IPv4 client of a dual-stack (`::`) listener shows up as
 * `::ffff:a.b.c.d`, unwrapped here so policies and x-forwarded-for see the IPv4
 * address the client has. '' once the socket is gone.
 */
function clientAddress(addr: string | undefined): string {
  if (addr === undefined) return ''
  return addr.length > 7 && addr.startsWith('::ffff:') && addr.includes('.', 7) ? addr.slice(7) : addr
}
