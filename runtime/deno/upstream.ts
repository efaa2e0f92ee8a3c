/**
 * @module
 * The Deno Upstream: Deno's `fetch` (runtime/web/fetch-upstream.ts) through one
 * `Deno.createHttpClient`, the connection pool (keep-alive, idle connections closed
 * after 4 s as undici's on Node), closed by close(). What makes it behave as a proxy:
 *
 * - `allowHost: true`: without it Deno's fetch drops the Host header a request sets
 *   and sends the URL's authority (the endpoint address), so the upstream would not
 *   see the client's Host.
 * - `http2: false`: upstream calls are HTTP/1.1, as on Node (plain-HTTP upstreams
 *   never negotiate h2 anyway; this keeps TLS upstreams the same).
 * - `redirect: 'manual'`: a 3xx goes back to the client.
 * - Compressed responses cannot be passed on as sent (denoland/deno#12291, open):
 *   Deno's fetch decodes a gzip, br or zstd body unless the request's
 *   Accept-Encoding is exactly `identity`, whoever set it (the client's own
 *   `gzip` included), and leaves Content-Encoding and Content-Length as the
 *   upstream sent them, so a client would get a plain body labelled gzip. The
 *   adapter removes both fields when Deno decoded: the client gets the same content
 *   uncompressed (identity is acceptable to every client that did not refuse it).
 *   When the client sent no Accept-Encoding, Deno adds `gzip,br` (and
 *   `accept-language: *`) to the upstream request. upstream.test.ts shows each.
 *
 * Request bodies are ReadableStreams and go out as they arrive (chunked, or with the
 * client's Content-Length), never buffered.
 *
 * @example
 * const upstream = createDenoUpstream()
 */
import type { ProxyUpstream } from '../types.js'
import { createFetchUpstream } from '../web/fetch-upstream.js'
import { deno, type DenoFetchInit } from './deno-types.js'

/** Idle pooled connections are closed after this (ms), as the Node adapter's undici pools. */
const POOL_IDLE_TIMEOUT_MS = 4_000

export interface DenoUpstreamOptions {
  /**
   * Call upstreams over TLS: `caCerts` (PEM) trusted besides the system roots, and a
   * client certificate chain + key (PEM) presented when the upstream asks for one
   * (mutual TLS; tls.test.ts shows the handshake). Without it, upstream calls are http.
   */
  tls?: { caCerts?: string[]; cert?: string; key?: string }
}

export function createDenoUpstream(opts: DenoUpstreamOptions = {}): ProxyUpstream {
  const client = deno().createHttpClient({ allowHost: true, http2: false, poolIdleTimeout: POOL_IDLE_TIMEOUT_MS, ...opts.tls })
  const init: DenoFetchInit = { client, redirect: 'manual' }
  return createFetchUpstream({
    fetch: fetchAsSent,
    init: init as Record<string, unknown>,
    close: () => client.close(),
    ...(opts.tls && { scheme: 'https' }),
  })
}

/** Codings Deno's fetch (2.9) decodes by itself; deflate it passes on. */
const DECODED = new Set(['gzip', 'br', 'zstd'])

/** fetch, with a response Deno decoded labelled as what it now is (no Content-Encoding, no stale Content-Length). */
async function fetchAsSent(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init)
  const coding = res.headers.get('content-encoding')
  if (coding === null || !DECODED.has(coding.trim().toLowerCase())) return res
  // Rare path (a compressed response): the init's headers are a record or pairs (web/outbound.ts headersInit).
  if (new Headers(init.headers).get('accept-encoding')?.trim().toLowerCase() === 'identity') return res
  const headers = new Headers(res.headers)
  headers.delete('content-encoding')
  headers.delete('content-length')
  // Only status, headers and body are read by fetch-upstream.ts.
  return { status: res.status, headers, body: res.body } as Response
}
