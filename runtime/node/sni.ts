/**
 * @module
 * node:tls `SNICallback` over a listener's `ServeTls`: the certificate is looked up
 * at each handshake (the active snapshot may have changed since the listener was
 * bound), with one SecureContext kept per certificate. Shared by the Node adapter and
 * the Bun adapter's HTTPS listeners (node:http2 under Bun's Node compatibility).
 *
 * @example
 * createSecureServer({ SNICallback: sniCallback(tls) })
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { ServeTls } from '../types.js'

export function sniCallback(tls: ServeTls): (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void {
  const contexts = new Map<string, SecureContext>()
  return (servername, cb) => {
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
