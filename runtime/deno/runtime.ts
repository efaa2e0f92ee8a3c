/**
 * @module
 * The Deno adapter behind runtime/types.ts. Plain-HTTP listeners are `Deno.serve`
 * (serve.ts); HTTPS listeners and HTTP-proxy listeners (a sidecar's outbound) are
 * node:http2 / node:http under Deno's Node compatibility (serve-node.ts: Deno.serve
 * takes one certificate, tells a request no SNI and has no CONNECT); upstream calls
 * are Deno's fetch through a `Deno.createHttpClient` pool (upstream.ts). Persistence
 * (runtime/node/fs-cache.ts) and the admin server (runtime/node/admin.ts) run
 * unchanged on Deno's node:fs and node:http.
 *
 * @example
 * const rt = await loadRuntime('deno') // in a process started by `deno run`
 */
import type { Runtime, ServeOptions } from '../types.js'
import { serveHttp } from './serve.js'
import { serveNode } from './serve-node.js'
import { createDenoUpstream } from './upstream.js'

export const runtime: Runtime = {
  name: 'deno',
  // Deno.serve where it can; node:http(2) for TLS and for HTTP-proxy listeners (serve-node.ts says why).
  serve: (opts: ServeOptions) => (opts.tls || opts.onConnect ? serveNode(opts) : serveHttp(opts)),
  createUpstream: () => createDenoUpstream(),
}
