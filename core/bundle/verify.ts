/**
 * @module
 * Verify a bundle before anything of it is used: the JWS signature (EdDSA only) with
 * the key its `kid` names in the JWKS the proxy was given at start — never a key that
 * came with the bundle —, `typ`, the payload's shape (payload-shape.ts), the scope, the expiry, and
 * that its version is newer than the one running. Returns a branded `VerifiedBundle`,
 * the only type `activate` accepts; each failure is a typed BundleError.
 *
 * @example
 * const verifier = bundleVerifier({ jwks, scope: 'gateway.default.edge' })
 * const v = await verifier.verify(jws, { activeVersion: 3 })   // throws BundleRollback for version 2
 * if (v.kind === 'newer') activate(v.bundle)
 */
import { compactVerify, createLocalJWKSet, errors as joseErrors, type JSONWebKeySet } from 'jose'
import { payloadProblem } from './payload-shape.js'
import { BUNDLE_ALG, BUNDLE_TYP, scopeCovers, type BundlePayload } from './format.js'
import { BundleExpired, BundleKeyUnknown, BundleRollback, BundleSchemaInvalid, BundleScopeMismatch, BundleSignatureInvalid } from './errors.js'

declare const verifiedBrand: unique symbol
/** A bundle whose signature, key, typ, shape and scope were checked. Made only by `verify`. */
export type VerifiedBundle = BundlePayload & { readonly [verifiedBrand]: true; readonly jws: string }

export interface VerifierOptions {
  /** The trusted keys, given at start (`--trust jwks.json`). */
  jwks: JSONWebKeySet
  /** This proxy's scope; a bundle for any other is refused. */
  scope: string
  /** Milliseconds since the epoch (tests). */
  now?: () => number
}

export interface VerifyOptions {
  /** The version running, if any: equal → unchanged, lower → rollback. */
  activeVersion?: number | undefined
  /** Accept an expired bundle (only the cached one, at boot, with the control plane unreachable). */
  allowExpired?: boolean
}

export type VerifyResult = { kind: 'newer'; bundle: VerifiedBundle; expired: boolean } | { kind: 'unchanged'; bundle: VerifiedBundle }

export function bundleVerifier(opts: VerifierOptions) {
  if (!Array.isArray(opts.jwks?.keys) || opts.jwks.keys.length === 0) throw new Error('the trusted JWKS has no keys')
  const keySet = createLocalJWKSet(opts.jwks)
  const now = opts.now ?? Date.now
  const kids = opts.jwks.keys.map((k) => k.kid).filter(Boolean)

  return {
    async verify(jws: string, v: VerifyOptions = {}): Promise<VerifyResult> {
      let payloadBytes: Uint8Array
      let header: { kid?: string; typ?: string }
      try {
        const r = await compactVerify(jws.trim(), (h, token) => {
          if (!h.kid) throw new BundleKeyUnknown('bundle has no key id (kid) in its protected header')
          if (!kids.includes(h.kid)) throw new BundleKeyUnknown(`bundle signed by key ${h.kid}, which is not in the trusted JWKS (${kids.join(', ')})`)
          return keySet(h, token)
        }, { algorithms: [BUNDLE_ALG] })
        payloadBytes = r.payload
        header = r.protectedHeader
      } catch (err) {
        if (err instanceof BundleKeyUnknown) throw err
        if (err instanceof joseErrors.JWKSNoMatchingKey) throw new BundleKeyUnknown(`no trusted key matches the bundle's key id`, { cause: err })
        if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new BundleSignatureInvalid(`bundle algorithm is not ${BUNDLE_ALG}`, { cause: err })
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new BundleSignatureInvalid('bundle signature does not verify (tampered, or signed by another key with the same id)', { cause: err })
        throw new BundleSignatureInvalid(`bundle is not a valid signed JWS: ${(err as Error).message}`, { cause: err })
      }
      if (header.typ !== BUNDLE_TYP) throw new BundleSignatureInvalid(`bundle typ is ${JSON.stringify(header.typ)}, expected ${BUNDLE_TYP}`)
      let json: unknown
      try {
        json = JSON.parse(new TextDecoder().decode(payloadBytes))
      } catch (err) {
        throw new BundleSchemaInvalid('bundle payload is not JSON', { cause: err })
      }
      const problem = payloadProblem(json)
      if (problem !== undefined) throw new BundleSchemaInvalid(`bundle payload: ${problem}`)
      const p = json as BundlePayload
      if (p.kid !== header.kid) throw new BundleSchemaInvalid(`bundle payload kid ${p.kid} differs from its header's ${header.kid}`)
      if (!scopeCovers(p.scope, opts.scope)) throw new BundleScopeMismatch(`bundle is for ${p.scope}, this proxy is ${opts.scope}`)
      const bundle = { ...p, jws } as VerifiedBundle
      const expired = p.expiresAt * 1000 <= now()
      if (expired && !v.allowExpired) throw new BundleExpired(`bundle version ${p.version} expired at ${new Date(p.expiresAt * 1000).toISOString()}`)
      if (v.activeVersion !== undefined) {
        if (p.version < v.activeVersion) throw new BundleRollback(`bundle version ${p.version} is older than the running version ${v.activeVersion}`)
        if (p.version === v.activeVersion) return { kind: 'unchanged', bundle }
      }
      return { kind: 'newer', bundle, expired }
    },
  }
}

export type BundleVerifier = ReturnType<typeof bundleVerifier>
