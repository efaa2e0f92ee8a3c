/**
 * @module
 * The Worker's configuration, read from its bindings (wrangler.toml `[vars]`, secrets,
 * KV) once per isolate. Every problem is a WorkerConfigError naming the binding and what
 * to put there; the Worker answers 500 with that message (`x-weft-error:
 * ERR_WORKER_CONFIG`) rather than serving half-configured.
 *
 * | binding | meaning |
 * | --- | --- |
 * | `WEFT_CONTROL_URL` (var) | the control plane, e.g. https://control.example.com |
 * | `WEFT_TOKEN` (secret) | the proxy token (`weft token create`) |
 * | `WEFT_TRUST_JWKS` (secret or var) | the control plane's public JWKS, JSON text (`DIR/jwks.json`) |
 * | `WEFT_BUNDLES` (KV) | where the verified bundle is kept |
 * | `WEFT_BUNDLE_MAX_AGE` (var) | seconds between refreshes on requests (default 5) |
 * | `WEFT_ADMIN` (var/secret) | `/__weft/*` admin endpoints: unset = off, `open` = no auth, else the bearer token they require |
 * | `WEFT_CONFIG` (var) | instead of bundles: the config itself (YAML or JSON), unsigned; local runs and tests |
 *
 * @example
 * const s = readCommonSettings(env)
 */
import type { JSONWebKeySet } from 'jose'
import type { KvNamespace } from './types.js'

/** A binding is missing or wrong: the Worker answers 500 `x-weft-error: ERR_WORKER_CONFIG` with this message. */
export class WorkerConfigError extends Error {
  readonly code = 'ERR_WORKER_CONFIG'
  override name = 'WorkerConfigError'
}

export interface CommonEnv {
  WEFT_CONTROL_URL?: string
  WEFT_TOKEN?: string
  WEFT_TRUST_JWKS?: string | JSONWebKeySet
  WEFT_BUNDLES?: KvNamespace
  WEFT_BUNDLE_MAX_AGE?: string | number
  WEFT_ADMIN?: string
  WEFT_CONFIG?: string
}

export type Source =
  | { kind: 'control'; controlUrl: string; token: string | undefined; jwks: JSONWebKeySet; kv: KvNamespace | undefined; maxAgeMs: number }
  | { kind: 'static'; text: string }

export interface CommonSettings {
  source: Source
  /** undefined: admin endpoints off; '' : open; otherwise the bearer token they require. */
  admin: string | undefined
}

const DEFAULT_MAX_AGE_S = 5

export function readCommonSettings(env: CommonEnv): CommonSettings {
  const admin = env.WEFT_ADMIN === undefined || env.WEFT_ADMIN === '' || env.WEFT_ADMIN === 'off' ? undefined : env.WEFT_ADMIN === 'open' ? '' : env.WEFT_ADMIN
  if (typeof env.WEFT_CONFIG === 'string' && env.WEFT_CONFIG.trim() !== '') return { source: { kind: 'static', text: env.WEFT_CONFIG }, admin }
  const controlUrl = env.WEFT_CONTROL_URL
  if (!controlUrl) throw new WorkerConfigError('WEFT_CONTROL_URL is not set: set it in wrangler.toml [vars] to the control plane URL (or WEFT_CONFIG for a static config)')
  try {
    new URL(controlUrl)
  } catch {
    throw new WorkerConfigError(`WEFT_CONTROL_URL ${JSON.stringify(controlUrl)} is not a URL`)
  }
  const jwks = readJwks(env.WEFT_TRUST_JWKS)
  let maxAge = DEFAULT_MAX_AGE_S
  if (env.WEFT_BUNDLE_MAX_AGE !== undefined && env.WEFT_BUNDLE_MAX_AGE !== '') {
    maxAge = Number(env.WEFT_BUNDLE_MAX_AGE)
    if (!Number.isFinite(maxAge) || maxAge < 0) throw new WorkerConfigError(`WEFT_BUNDLE_MAX_AGE ${JSON.stringify(env.WEFT_BUNDLE_MAX_AGE)}: expected seconds (a number ≥ 0)`)
  }
  return {
    source: { kind: 'control', controlUrl, token: env.WEFT_TOKEN || undefined, jwks, kv: env.WEFT_BUNDLES, maxAgeMs: maxAge * 1000 },
    admin,
  }
}

function readJwks(value: CommonEnv['WEFT_TRUST_JWKS']): JSONWebKeySet {
  if (value === undefined || value === '') throw new WorkerConfigError('WEFT_TRUST_JWKS is not set: put the control plane\'s jwks.json in it (`wrangler secret put WEFT_TRUST_JWKS < DIR/jwks.json`)')
  let jwks: unknown = value
  if (typeof value === 'string') {
    try {
      jwks = JSON.parse(value)
    } catch (err) {
      throw new WorkerConfigError(`WEFT_TRUST_JWKS is not JSON: ${(err as Error).message}`)
    }
  }
  const keys = (jwks as { keys?: unknown })?.keys
  if (!Array.isArray(keys) || keys.length === 0) throw new WorkerConfigError('WEFT_TRUST_JWKS: expected a JWKS, {"keys": [...]} with at least one key (weft control writes DIR/jwks.json)')
  return jwks as JSONWebKeySet
}
