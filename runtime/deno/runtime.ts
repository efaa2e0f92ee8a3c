/**
 * @module
 * The Deno adapter behind runtime/types.ts. Plain-HTTP listeners are `Deno.serve`
 * (serve.ts); HTTPS listeners are Deno.serve behind a node:tls terminator
 * (tls-front.ts: Deno.serve's TLS takes one certificate and tells a request no SNI;
 * Deno's node:http2 server crashes under load); HTTP-proxy listeners (a sidecar's
 * outbound) are node:http under Deno's Node compatibility (serve-node.ts: Deno.serve
 * has no CONNECT); upstream calls
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
import { serveTlsFront } from './tls-front.js'
import { createDenoUpstream } from './upstream.js'

export const runtime: Runtime = {
  name: 'deno',
  // Deno.serve; behind a node:tls front for HTTPS (tls-front.ts says why); node:http for
  // HTTP-proxy listeners, which need the socket of a CONNECT (serve-node.ts).
  serve: (opts: ServeOptions) => (opts.tls ? serveTlsFront({ ...opts, tls: opts.tls }) : opts.onConnect ? serveNode(opts) : serveHttp(opts)),
  createUpstream: () => createDenoUpstream(),
}
