/**
 * @module
 * The Bun adapter behind runtime/types.ts. Plain-HTTP listeners are `Bun.serve`
 * (serve.ts); HTTPS listeners are node:http2 under Bun's Node compatibility
 * (serve-tls.ts: Bun.serve has no HTTP/2 and no per-request SNI); upstream calls are
 * Bun's fetch (upstream.ts). Persistence (runtime/node/fs-cache.ts) and the admin
 * server (runtime/node/admin.ts) run unchanged on Bun's node:fs and node:http.
 *
 * @example
 * const rt = await loadRuntime('bun') // in a process started by `bun`
 */
import type { Runtime, ServeOptions, ServeTls } from '../types.js'
import { serveHttp } from './serve.js'
import { serveTls } from './serve-tls.js'
import { createBunUpstream } from './upstream.js'

export const runtime: Runtime = {
  name: 'bun',
  serve: (opts: ServeOptions) => (opts.tls ? serveTls(opts as ServeOptions & { tls: ServeTls }) : serveHttp(opts)),
  createUpstream: () => createBunUpstream(),
}
