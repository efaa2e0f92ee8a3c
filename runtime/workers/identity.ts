/**
 * @module
 * The identity seam on Workers, where the identity work (mesh CA, mTLS, JWT identity
 * tokens) plugs in. TODAY IT DECIDES NOTHING: `peerIdentity` only reads what Cloudflare
 * hands the Worker, and `attachIdentity` adds nothing. Every inbound request of both
 * Workers goes through `peerIdentity`, every upstream call will go through
 * `attachIdentity`, so the identity work changes these two functions, not the entries.
 *
 * - Client certificates: a Worker never sees the TLS handshake. With mTLS enabled on
 *   the zone, Cloudflare verifies the client certificate and passes its fields in
 *   `request.cf.tlsClientAuth` (certPresented, certVerified, subject/issuer DNs,
 *   fingerprint, validity). Requests that arrive through a service binding have no
 *   `request.cf`. Miniflare fills `tlsClientAuth` with `certPresented: '0'` fields
 *   (it cannot terminate mTLS).
 * - JWT identity tokens: the short-lived token a peer presents (to be verified against
 *   the mesh's JWKS), and the one this proxy will attach to its own calls.
 *
 * @example
 * const who = peerIdentity(request)   // { clientCert: undefined, token: undefined } today, or the cert fields
 */
import type { IncomingCf, TlsClientAuth } from './types.js'

export interface PeerIdentity {
  /** The client certificate Cloudflare verified (certPresented '1'), as its fields; undefined otherwise. */
  clientCert: TlsClientAuth | undefined
  /** Whether the certificate Cloudflare saw verified ('SUCCESS'); false when none. */
  clientCertVerified: boolean
  /** The peer's identity token, once identity lands (not read today). */
  token: undefined
}

export function peerIdentity(request: Request): PeerIdentity {
  const cf = (request as Request & { cf?: IncomingCf }).cf
  const auth = cf?.tlsClientAuth
  const presented = auth?.certPresented === '1'
  return { clientCert: presented ? auth : undefined, clientCertVerified: presented && auth?.certVerified === 'SUCCESS', token: undefined }
}

/** Where an outgoing call gets this proxy's identity token: a no-op until identity lands. */
export function attachIdentity(_headers: Record<string, string | string[] | undefined>): void {}
