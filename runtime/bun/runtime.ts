/**
 * @module
 * The Bun adapter behind runtime/types.ts. Plain-HTTP listeners are `Bun.serve`
 * (serve.ts); HTTPS listeners and HTTP-proxy listeners (a sidecar's outbound) are
 * node:http2 / node:http under Bun's Node compatibility (serve-node.ts: Bun.serve has
 * no HTTP/2, no per-request SNI, drops an absolute-form target's authority and has
 * no CONNECT); upstream calls are Bun's fetch (upstream.ts). Persistence
 * (runtime/node/fs-cache.ts) and the admin server (runtime/node/admin.ts) run
 * unchanged on Bun's node:fs and node:http.
 *
 * @example
 * const rt = await loadRuntime('bun') // in a process started by `bun`
 */
import type { Runtime, ServeOptions } from '../types.js'
import { serveHttp } from './serve.js'
import { serveNode } from './serve-node.js'
import { createBunUpstream } from './upstream.js'

export const runtime: Runtime = {
  name: 'bun',
  // Bun.serve where it can; node:http(2) for TLS and for HTTP-proxy listeners (serve-node.ts says why).
  serve: (opts: ServeOptions) => (opts.tls || opts.onConnect ? serveNode(opts) : serveHttp(opts)),
  createUpstream: () => createBunUpstream(),
}
