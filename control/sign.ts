/**
 * @module
 * Sign one bundle: a compact JWS (EdDSA) with the protected header
 * `{alg: 'EdDSA', kid, typ: 'weft-bundle'}` over the JSON of a `BundlePayload`
 * (core/bundle/format.ts). `expiresAt` is `issuedAt` + the lifetime (24 h by default).
 *
 * @example
 * const jws = await signBundle(key, { version: 3, scope: 'gateway.default.edge', config }, { lifetimeSeconds: 86400 })
 */
import { CompactSign } from 'jose'
import { BUNDLE_ALG, BUNDLE_TYP, type BundlePayload } from '../core/bundle/format.js'
import type { ConfigSet } from '../core/config/types.js'
import type { SigningKey } from './keys.js'

export const DEFAULT_BUNDLE_LIFETIME_SECONDS = 24 * 3600

export interface SignedBundle {
  version: number
  scope: string
  jws: string
  payload: BundlePayload
}

export async function signBundle(
  key: SigningKey,
  input: { version: number; scope: string; config: ConfigSet },
  opts: { lifetimeSeconds?: number; now?: number } = {},
): Promise<SignedBundle> {
  const issuedAt = Math.floor((opts.now ?? Date.now()) / 1000)
  const payload: BundlePayload = {
    version: input.version,
    issuedAt,
    expiresAt: issuedAt + (opts.lifetimeSeconds ?? DEFAULT_BUNDLE_LIFETIME_SECONDS),
    scope: input.scope,
    kid: key.kid,
    config: input.config,
  }
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: BUNDLE_ALG, kid: key.kid, typ: BUNDLE_TYP })
    .sign(key.privateKey)
  return { version: input.version, scope: input.scope, jws, payload }
}
