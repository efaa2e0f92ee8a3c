/**
 * @module
 * The Bun Upstream: Bun's own `fetch` (runtime/web/fetch-upstream.ts), which pools
 * keep-alive connections per origin by itself. What makes it behave as a proxy:
 * `decompress: false` (a gzip body is passed on as gzip, and Bun then adds no
 * Accept-Encoding of its own), `redirect: 'manual'` (a 3xx goes back to the client).
 * The Host header set on the request is the one Bun sends (not the URL's), and a
 * ReadableStream body is streamed (chunked, or with the client's Content-Length).
 *
 * One difference from Node that cannot be turned off: when the client sent none,
 * Bun's fetch adds `User-Agent: Bun/VERSION` and `Accept: *\/*` to the upstream request.
 *
 * @example
 * const upstream = createBunUpstream()
 */
import type { ProxyUpstream } from '../types.js'
import { createFetchUpstream } from '../web/fetch-upstream.js'
import { bun, type BunFetchInit } from './bun-types.js'

export function createBunUpstream(): ProxyUpstream {
  const f = bun().fetch ?? globalThis.fetch
  const init: BunFetchInit = { decompress: false, redirect: 'manual' }
  return createFetchUpstream({ fetch: f as (input: string, init: RequestInit) => Promise<Response>, init: init as Record<string, unknown> })
}
