/**
 * @module
 * Why a bundle was refused: one class per failure, each with a stable code (jose's
 * style). A proxy logs the message, counts the code in
 * `weft_bundle_rejections_total{code}` and reports it to the control plane; the
 * last-known-good bundle keeps serving.
 *
 * @example
 * try { await verifyBundle(jws, opts) } catch (e) { if (e instanceof BundleError) log(`${e.code}: ${e.message}`) }
 */
import { WeftError } from '../errors.js'

export abstract class BundleError extends WeftError {
  abstract override readonly code:
    | 'ERR_BUNDLE_SIGNATURE'
    | 'ERR_BUNDLE_KEY'
    | 'ERR_BUNDLE_SCOPE'
    | 'ERR_BUNDLE_EXPIRED'
    | 'ERR_BUNDLE_ROLLBACK'
    | 'ERR_BUNDLE_SCHEMA'
    | 'ERR_BUNDLE_TOO_LARGE'
    | 'ERR_BUNDLE_FETCH'
    | 'ERR_CONFIG_INVALID'
  /** Never answered to a client; 502 if it ever were (the config source failed). */
  readonly status = 502
}

/** Not a valid JWS, signature stripped or wrong, an algorithm other than EdDSA, or the wrong `typ`. */
export class BundleSignatureInvalid extends BundleError {
  readonly code = 'ERR_BUNDLE_SIGNATURE'
}

/** Signed by a key (`kid`) that is not in the trusted JWKS given at start. */
export class BundleKeyUnknown extends BundleError {
  readonly code = 'ERR_BUNDLE_KEY'
}

/** Compiled for another proxy's scope. */
export class BundleScopeMismatch extends BundleError {
  readonly code = 'ERR_BUNDLE_SCOPE'
}

/** `expiresAt` is in the past. */
export class BundleExpired extends BundleError {
  readonly code = 'ERR_BUNDLE_EXPIRED'
}

/** An older version than the one running. */
export class BundleRollback extends BundleError {
  readonly code = 'ERR_BUNDLE_ROLLBACK'
}

/** The payload is not JSON of the bundle's shape. */
export class BundleSchemaInvalid extends BundleError {
  readonly code = 'ERR_BUNDLE_SCHEMA'
}

/** Larger than MAX_BUNDLE_BYTES; refused unread. */
export class BundleTooLarge extends BundleError {
  readonly code = 'ERR_BUNDLE_TOO_LARGE'
}

/** The control plane could not be reached, or answered something other than 200/304. */
export class BundleFetchFailed extends BundleError {
  readonly code = 'ERR_BUNDLE_FETCH'
}

/** Verified, but its config does not build (a NACK: the old snapshot stays). */
export class BundleConfigInvalid extends BundleError {
  readonly code = 'ERR_CONFIG_INVALID'
}

export type AnyBundleError =
  | BundleSignatureInvalid
  | BundleKeyUnknown
  | BundleScopeMismatch
  | BundleExpired
  | BundleRollback
  | BundleSchemaInvalid
  | BundleTooLarge
  | BundleFetchFailed
  | BundleConfigInvalid

/** The code of any error: its own when it is a bundle error, else ERR_BUNDLE_FETCH. */
export function bundleErrorCode(err: unknown): AnyBundleError['code'] {
  return err instanceof BundleError ? err.code : 'ERR_BUNDLE_FETCH'
}
