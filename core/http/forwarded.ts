/**
 * @module
 * Tell the upstream who the client is and how it reached the proxy: the de-facto
 * `x-forwarded-for` / `x-forwarded-proto` pair that most applications read, and the
 * standard `forwarded` field (RFC 7239). Values a previous proxy set are appended to,
 * never replaced, so the chain stays complete; deciding which hops to trust (and
 * stripping what an untrusted client sent) is a policy stage's job, not this one's.
 *
 * @example
 * const req = testRequest({ remoteAddress: '::1', scheme: 'https', authority: 'api.example:8443' })
 * addForwardingHeaders(req)
 * req.headers['x-forwarded-for']   // '::1'
 * req.headers['x-forwarded-proto'] // 'https'
 * req.headers.forwarded            // 'for="[::1]";proto=https;host="api.example:8443"'
 */
import type { HeaderMap, ProxyRequest } from './view.js'

/** Append the client to `x-forwarded-for` and `forwarded`, and set `x-forwarded-proto`. */
export function addForwardingHeaders(req: ProxyRequest): void {
  const headers = req.headers
  const addr = req.remoteAddress
  headers['x-forwarded-for'] = append(headers, 'x-forwarded-for', addr === '' ? 'unknown' : addr)
  headers['x-forwarded-proto'] = req.scheme
  let element = 'for=' + forNode(addr) + ';proto=' + req.scheme
  if (req.authority !== '') element += ';host=' + quoteIfNeeded(req.authority)
  headers.forwarded = append(headers, 'forwarded', element)
}

/** `existing, value` (one field line: proxies may join list fields, RFC 9110 §5.3). */
function append(headers: HeaderMap, name: string, value: string): string {
  const existing = headers[name]
  if (existing === undefined || existing === '') return value
  return (typeof existing === 'string' ? existing : existing.join(', ')) + ', ' + value
}

/**
 * RFC 7239 §6: an IPv6 node is a bracketed, quoted string (`"[::1]"`), an IPv4 one a
 * bare token; an address the socket no longer knows is the `unknown` identifier.
 */
function forNode(addr: string): string {
  if (addr === '') return 'unknown'
  if (addr.includes(':')) return '"[' + addr + ']"'
  return addr
}

/** A forwarded-pair value is a token or a quoted-string (RFC 7239 §4); a port's ':' forces quotes. */
function quoteIfNeeded(value: string): string {
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return '"' + value.replace(/["\\]/g, '\\$&') + '"'
  }
  return value
}

/** tchar of RFC 9110 §5.6.2. */
function isTokenChar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d ||
    c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e
}
