/**
 * @module
 * The Node adapter behind runtime/types.ts: node:http / node:http2 listeners
 * (server.ts) and undici pools (upstream.ts). TLS picks the certificate per handshake
 * from the SNI (`tls.certFor`, sni.ts).
 *
 * @example
 * const l = await nodeRuntime.serve({ address: '127.0.0.1', port: 0, handler })
 */
import type { Runtime, ServeOptions } from '../types.js'
import { listen, type ListenOptions } from './server.js'
import { sniCallback } from './sni.js'
import { createNodeUpstream } from './upstream.js'

export const nodeRuntime: Runtime = {
  name: 'node',
  serve(opts: ServeOptions) {
    const listenOpts: ListenOptions = {
      address: opts.address,
      port: opts.port,
      handler: opts.handler,
      ...(opts.tls && { tls: { SNICallback: sniCallback(opts.tls) } }),
      ...(opts.closeTimeout !== undefined && { closeTimeout: opts.closeTimeout }),
      ...(opts.onError && { onError: opts.onError }),
      ...(opts.onConnect && { onConnect: opts.onConnect as NonNullable<ListenOptions['onConnect']> }),
    }
    return listen(listenOpts)
  },
  createUpstream: () => createNodeUpstream(),
}
