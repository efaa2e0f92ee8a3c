/**
 * @module
 * A Web `Request` (Bun.serve, Deno.serve, a Worker's fetch handler) as Weft's
 * ProxyRequest. The same checks as the Node adapter (runtime/node/inbound.ts): a bad
 * request-target or Host throws BadRequest before any stage sees it.
 *
 * Web servers hand over an absolute URL, never the raw request-target: the path is
 * taken from `request.url` after its authority. An absolute-form request (a sidecar's
 * outbound, used as an HTTP proxy) shows up as a URL whose authority differs from the
 * Host header: the URL's authority then wins (RFC 9112 §3.2.2), as on Node.
 *
 * @example
 * const pr = fromWebRequest(request, { scheme: 'http', port: 8080, remoteAddress: '127.0.0.1' })
 */
import { BadRequest } from '../../core/errors.js'
import { authorityHost, readTarget } from '../../core/http/request-target.js'
import type { HeaderMap, ProxyRequest } from '../../core/http/view.js'

export interface InboundInfo {
  scheme: 'http' | 'https'
  /** The listener's port. */
  port: number
  remoteAddress: string
  sni?: string
  httpVersion?: string
}

export function fromWebRequest(request: Request, info: InboundInfo): ProxyRequest {
  const method = request.method
  // Web servers do not hand over the socket a tunnel needs (and build a URL from the authority-form target).
  if (method === 'CONNECT') throw new BadRequest('CONNECT is not supported on this listener')
  const headers = webHeaders(request.headers)
  const url = request.url
  // scheme://authority/path?query: the target is everything from the first '/' after '//'.
  // Bun.serve hands an HTTP/1.0 request without Host a bare target ('/a/b'), no URL:
  // its first segment is path, not authority.
  let urlAuthority = ''
  let target = url
  if (url.charCodeAt(0) !== 0x2f /* '/' */) {
    const authStart = url.indexOf('//') + 2
    let pathStart = url.indexOf('/', authStart)
    if (pathStart < 0) pathStart = url.length
    urlAuthority = url.slice(authStart, pathStart)
    target = pathStart < url.length ? url.slice(pathStart) : '/'
  }
  const pr: ProxyRequest = {
    method,
    scheme: info.scheme,
    authority: '',
    host: '',
    path: '',
    query: '',
    headers,
    body: null,
    remoteAddress: info.remoteAddress,
    port: info.port,
    ...(info.sni !== undefined && { sni: info.sni }),
    ...(info.httpVersion !== undefined && { httpVersion: info.httpVersion }),
  }
  readTarget(target, pr)
  let authority = typeof headers.host === 'string' ? headers.host : undefined
  if (authority === undefined) {
    // Without a Host the request was h2 (:authority is the URL's) or HTTP/1.0 (none: host '', as on Node).
    authority = urlAuthority
    if (authority !== '') headers.host = authority
  } else if (urlAuthority !== '' && !sameAuthority(authority, urlAuthority, info)) {
    // Absolute-form: the target's authority wins and is forwarded as Host. But an
    // invalid Host also yields a URL unlike it (Bun builds one from whatever parses):
    // the Host must be valid itself, as on Node, or the request is refused.
    authorityHost(authority)
    authority = urlAuthority
    headers.host = authority
  }
  if (pr.path === '*' && method !== 'OPTIONS') throw new BadRequest(`asterisk-form request-target "*" is only valid for OPTIONS, not ${method}`)
  pr.authority = authority
  pr.host = authority === '' ? '' : authorityHost(authority)
  if (request.body !== null && headers['content-length'] !== '0') pr.body = request.body
  return pr
}

/**
 * Whether the URL's authority is the Host header's (origin-form). Servers build the
 * URL from Host, sometimes lower-cased, sometimes adding the listener's default port.
 */
function sameAuthority(host: string, urlAuthority: string, info: InboundInfo): boolean {
  if (host === urlAuthority) return true
  const h = host.toLowerCase()
  const u = urlAuthority.toLowerCase()
  if (h === u) return true
  const dflt = info.scheme === 'https' ? ':443' : ':80'
  return h + dflt === u || h === u + dflt || `${h}:${info.port}` === u
}

/** Web Headers as a HeaderMap: names are already lower-case; set-cookie keeps one entry per value. */
export function webHeaders(h: Headers): HeaderMap {
  const out: HeaderMap = {}
  h.forEach((value, name) => {
    if (name === 'set-cookie') return
    out[name] = value
  })
  const cookies = typeof h.getSetCookie === 'function' ? h.getSetCookie() : []
  if (cookies.length === 1) out['set-cookie'] = cookies[0]
  else if (cookies.length > 1) out['set-cookie'] = cookies
  return out
}
