/**
 * @module
 * HTTP-proxy listeners on Deno (a sidecar's outbound: the serve calls that pass
 * `onConnect`): node:http through Deno's Node compatibility (the Node adapter's own
 * runtime/node/server.ts), because `Deno.serve` hands over no socket for CONNECT
 * tunnels and Deno's node:http emits 'connect' with one (serve.test.ts).
 *
 * The request body comes as a node Readable; the fetch upstream takes a Web
 * ReadableStream, so it is converted with backpressure (runtime/node-compat/serve-node.ts,
 * toWebStream: Deno's Readable.toWeb reads a body whole when the upstream is slow).
 * A real AbortSignal per request (`abortSignal: true`) cancels the upstream fetch
 * when the client goes away.
 *
 * @example
 * const l = await serveNode({ address: '127.0.0.1', port: 0, handler, onConnect })
 */
import { serveNodeCompat } from '../node-compat/serve-node.js'
import type { Listening, ServeOptions } from '../types.js'

export function serveNode(opts: ServeOptions): Promise<Listening> {
  return serveNodeCompat(opts, {})
}
