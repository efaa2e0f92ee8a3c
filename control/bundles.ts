/**
 * @module
 * Signed bundles per proxy scope, compiled and signed on first request for a version
 * and kept until the config changes (or half their lifetime has passed, so a proxy is
 * never served a bundle about to expire).
 *
 * @example
 * const bundles = new BundleCache(store, key, { lifetimeSeconds: 86400 })
 * const b = await bundles.get('sidecar.default.api') // { version, jws, payload }
 */
import { compileScope } from '../core/bundle/scope.js'
import type { ConfigSet } from '../core/config/types.js'
import type { SigningKey } from './keys.js'
import { signBundle, type SignedBundle } from './sign.js'
import type { Store } from './store.js'

export class BundleCache {
  readonly #cache = new Map<string, Promise<SignedBundle>>()
  readonly #store: Store
  readonly #key: SigningKey
  readonly #lifetime: number | undefined

  constructor(store: Store, key: SigningKey, opts: { lifetimeSeconds?: number } = {}) {
    this.#store = store
    this.#key = key
    this.#lifetime = opts.lifetimeSeconds
    store.onChange(() => this.#cache.clear())
  }

  /** The bundle of `scope` at the current version. */
  async get(scope: string): Promise<SignedBundle> {
    const version = this.#store.version
    const cached = this.#cache.get(scope)
    if (cached) {
      const b = await cached
      const half = (b.payload.expiresAt - b.payload.issuedAt) / 2
      if (b.version === version && Date.now() / 1000 < b.payload.issuedAt + half) return b
    }
    const config = withoutOrigins(compileScope(this.#store.config, scope))
    const signing = signBundle(this.#key, { version, scope, config }, { ...(this.#lifetime !== undefined && { lifetimeSeconds: this.#lifetime }) })
    this.#cache.set(scope, signing)
    signing.catch(() => this.#cache.delete(scope))
    return signing
  }
}

/** Origins name the control plane's internal file; a proxy has no use for them. */
function withoutOrigins(config: ConfigSet): ConfigSet {
  const strip = <T extends { origin?: unknown }>(list: T[]): T[] => list.map(({ origin: _o, ...r }) => r as T)
  return {
    namespaces: strip(config.namespaces),
    secrets: strip(config.secrets),
    gateways: strip(config.gateways),
    httpRoutes: strip(config.httpRoutes),
    referenceGrants: strip(config.referenceGrants),
    services: strip(config.services),
  }
}
