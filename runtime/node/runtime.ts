/**
 * @module
 * The Node adapter behind runtime/types.ts: node:http / node:http2 listeners
 * (server.ts) and undici pools (upstream.ts). TLS picks the certificate per handshake
 * from the SNI (`tls.certFor`), with one SecureContext kept per certificate.
 *
 * @example
 * const l = await nodeRuntime.serve({ address: '127.0.0.1', port: 0, handler })
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Runtime, ServeOptions, ServeTls } from '../types.js'
import { listen, type ListenOptions } from './server.js'
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

function sniCallback(tls: ServeTls) {
  const contexts = new Map<string, SecureContext>()
  return (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    try {
      const c = tls.certFor(servername ?? '')
      if (!c) return cb(new Error(`no certificate for "${servername}"`))
      const key = c.cert + c.key
      let ctx = contexts.get(key)
      if (!ctx) {
        ctx = createSecureContext({ cert: c.cert, key: c.key })
        contexts.set(key, ctx)
      }
      cb(null, ctx)
    } catch (err) {
      cb(err as Error)
    }
  }
}
