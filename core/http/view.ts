/**
 * @module
 * Weft's own small request/response view. Stages see only this, never a runtime's
 * objects, so the same chain runs on Node, Bun, Deno and Workers. Each adapter backs
 * it cheaply: on Node the headers object is node:http's own parsed `req.headers`
 * (lower-cased names) and the body is the IncomingMessage stream, so no Web
 * `Request`/`Response` is built per hop (DESIGN.md gives the measured cost).
 *
 * @example
 * const req: ProxyRequest = { method: 'GET', scheme: 'http', authority: 'a.example', host: 'a.example',
 *   path: '/', query: '', headers: { host: 'a.example' }, body: null, remoteAddress: '127.0.0.1', port: 80 }
 */

/** Header names are lower-case; a repeated header is an array of its values. */
export type HeaderMap = Record<string, string | string[] | undefined>

/** An opaque streaming body, owned by the adapter (a Node Readable, a Web ReadableStream...). */
export type Body = unknown

export interface ProxyRequest {
  method: string
  /** Scheme the client used to reach this proxy. */
  scheme: 'http' | 'https'
  /** The Host (or :authority) value as received, port included; forwarded unmodified unless rewritten. */
  authority: string
  /** Lower-cased hostname of `authority` without port or trailing dot; '' when the client sent none. */
  host: string
  /** Path, percent-encoded as received (dot segments removed), always starting with '/'. */
  path: string
  /** Raw query string without '?'; '' when absent. */
  query: string
  headers: HeaderMap
  body: Body | null
  /** The peer's IP address. */
  remoteAddress: string
  /** The local port the request arrived on (the listener port). */
  port: number
  /** TLS server name the client sent (SNI), when the listener terminates TLS. */
  sni?: string
  /** HTTP version of the downstream connection, e.g. '1.1' or '2.0'. */
  httpVersion?: string
}

export interface ProxyResponse {
  status: number
  headers: HeaderMap
  body: Body | null
}

/** Header value as one string: repeated values joined with ','. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

/** Build a small plain-text response (used for local replies: errors, redirects). */
export function textResponse(status: number, text: string, headers: HeaderMap = {}): ProxyResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: text }
}
