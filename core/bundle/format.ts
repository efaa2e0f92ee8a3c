/**
 * @module
 * The signed config bundle: the contract between the control plane (which compiles and
 * signs one per proxy scope) and every proxy (which polls, verifies and activates it).
 *
 * Wire format: a JWS in compact serialization (jose), protected header
 * `{ alg: 'EdDSA', kid, typ: 'weft-bundle' }`, payload the JSON of `BundlePayload`.
 * Served by `GET /v1/bundles/{proxy}` as `application/jose` with `ETag: "<version>"`.
 * A proxy only ever trusts the keys it was given at start (`--trust jwks.json`), never a
 * key that arrives with a bundle.
 *
 * @example
 * const scope = gatewayScope('default', 'edge')   // 'gateway.default.edge'
 */
import type { ConfigSet } from '../config/types.js'

export const BUNDLE_TYP = 'weft-bundle'
export const BUNDLE_ALG = 'EdDSA'
/** A bundle larger than this is refused unread (bytes of the compact JWS). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024

export interface BundlePayload {
  /** The mesh config version this bundle was compiled from; never goes back. */
  version: number
  /** Seconds since the epoch. */
  issuedAt: number
  /** Seconds since the epoch; a proxy refuses an expired bundle. */
  expiresAt: number
  /**
   * The proxy scope it was compiled for (see gatewayScope / sidecarScope), or for
   * sidecars the namespace-wide `sidecar.NS.*` (see bundleScopeOf).
   */
  scope: string
  /** The key id that signed it (also in the protected header). */
  kid: string
  /** The resources this proxy needs, in the loader's normalized form. */
  config: ConfigSet
}

/** Scope of the gateway serving Gateway `ns/name`. */
export function gatewayScope(namespace: string, name: string): string {
  return `gateway.${namespace}.${name}`
}

/** Scope of every sidecar of Service `ns/name` (its instances share one bundle). */
export function sidecarScope(namespace: string, service: string): string {
  return `sidecar.${namespace}.${service}`
}

export function parseScope(scope: string): { kind: 'gateway' | 'sidecar'; namespace: string; name: string } | undefined {
  const m = /^(gateway|sidecar)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(scope)
  return m ? { kind: m[1] as 'gateway' | 'sidecar', namespace: m[2]!, name: m[4]! } : undefined
}

/**
 * The scope a proxy's bundle is compiled and signed for. Every sidecar of a namespace
 * needs the same subset (the mesh's GAMMA routes and Services: see scope.ts), so one
 * bundle `sidecar.NS.*` is signed per namespace and served to all of them: at 1,000
 * Services that is one signature over ~1 MB instead of one per Service (bench/control.mjs).
 * A gateway's bundle is its own.
 */
export function bundleScopeOf(scope: string): string {
  const s = parseScope(scope)
  return s?.kind === 'sidecar' ? `sidecar.${s.namespace}.*` : scope
}

/** Whether a bundle signed for `bundleScope` may be activated by the proxy of `proxyScope`. */
export function scopeCovers(bundleScope: string, proxyScope: string): boolean {
  return bundleScope === proxyScope || bundleScope === bundleScopeOf(proxyScope)
}
