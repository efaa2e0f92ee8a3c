/**
 * @module
 * The Deno adapter behind runtime/types.ts. Plain-HTTP listeners are `Deno.serve`
 * (serve.ts); HTTPS listeners are node:http2 under Deno's Node compatibility
 * (serve-tls.ts: Deno.serve takes one certificate and tells a request no SNI);
 * upstream calls are Deno's fetch through a `Deno.createHttpClient` pool
 * (upstream.ts). Persistence (runtime/node/fs-cache.ts) and the admin server
 * (runtime/node/admin.ts) run unchanged on Deno's node:fs and node:http.
 *
 * @example
 * const rt = await loadRuntime('deno') // in a process started by `deno run`
 */
import type { Runtime, ServeOptions, ServeTls } from '../types.js'
import { serveHttp } from './serve.js'
import { serveTls } from './serve-tls.js'
import { createDenoUpstream } from './upstream.js'

export const runtime: Runtime = {
  name: 'deno',
  serve: (opts: ServeOptions) => (opts.tls ? serveTls(opts as ServeOptions & { tls: ServeTls }) : serveHttp(opts)),
  createUpstream: () => createDenoUpstream(),
}
