/**
 * @module
 * The seam between the portable core and a runtime's HTTP client. The core picks the
 * endpoint (balancer) and hands the request to `send`; the adapter owns connections,
 * pooling and body streaming (undici pools on Node, `fetch` elsewhere).
 *
 * @example
 * const res = await upstream.send({ address: '127.0.0.1', port: 3000, key: '127.0.0.1:3000' }, req, ctx.signal)
 */
import type { ProxyRequest, ProxyResponse } from '../http/view.js'

export interface Endpoint {
  address: string
  port: number
  /** `address:port` (IPv6 in brackets), precomputed: used as the pool key and in logs. */
  key: string
}

export interface Upstream {
  /**
   * Send `req` to `endpoint` in HTTP/1.1 over a pooled keep-alive connection and resolve
   * with the response head as soon as it arrives; the body streams. Rejects with
   * UpstreamConnect, UpstreamReset or (when `signal` aborts) the signal's reason.
   * The request's headers are sent as they are: the caller has already stripped
   * hop-by-hop headers and added the forwarding headers.
   */
  send(endpoint: Endpoint, req: ProxyRequest, signal?: AbortSignal): Promise<ProxyResponse>
  /** Fire-and-forget copy of `req` to `endpoint`: the response is discarded, errors are only counted. */
  mirror(endpoint: Endpoint, req: ProxyRequest): void
  /** Close every pooled connection. */
  close(): Promise<void>
}
