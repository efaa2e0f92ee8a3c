/**
 * @module
 * Signed bundles per proxy scope, compiled and signed on first request for a version.
 * Cheap at mesh scale: every sidecar of a namespace is served the one bundle signed
 * for `sidecar.NS.*` (format.ts bundleScopeOf: they all need the same subset), so
 * 2,000 sidecars of 1,000 Services in 20 namespaces cost 20 signatures, not 1,000;
 * signed bundles are kept in a cache bounded by bytes (least recently used out first)
 * and re-signed once half their lifetime has passed, so a proxy is never served a
 * bundle about to expire.
 *
 * @example
 * const bundles = new BundleCache(store, key, { lifetimeSeconds: 86400 })
 * const b = await bundles.get('sidecar.default.api') // { version, jws, payload }
 */
import { MAX_BUNDLE_BYTES, bundleScopeOf } from '../core/bundle/format.js'
import { compileScope } from '../core/bundle/scope.js'
import type { ConfigSet } from '../core/config/types.js'
import type { SigningKey } from './keys.js'
import { signBundleJson, type SignedBundle } from './sign.js'
import type { Store } from './store.js'

/** Default bound of the signed-bundle cache, bytes of JWS. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024

export class BundleCache {
  /** Signed bundles by scope, in least-recently-used order. */
  readonly #signed = new Map<string, Promise<SignedBundle>>()
  #signedBytes = 0
  /** The JSON of a compiled subset, by bundle scope, for the current version. */
  readonly #compiled = new Map<string, string>()
  readonly #store: Store
  readonly #key: SigningKey
  readonly #lifetime: number | undefined
  readonly #maxBytes: number

  constructor(store: Store, key: SigningKey, opts: { lifetimeSeconds?: number; maxCacheBytes?: number } = {}) {
    this.#store = store
    this.#key = key
    this.#lifetime = opts.lifetimeSeconds
    this.#maxBytes = opts.maxCacheBytes ?? DEFAULT_CACHE_BYTES
    store.onChange(() => {
      this.#signed.clear()
      this.#signedBytes = 0
      this.#compiled.clear()
    })
  }

  /** The bundle the proxy of `proxyScope` is served at the current version. */
  async get(proxyScope: string): Promise<SignedBundle> {
    const scope = bundleScopeOf(proxyScope)
    const version = this.#store.version
    const cached = this.#signed.get(scope)
    if (cached) {
      const b = await cached
      const half = (b.payload.expiresAt - b.payload.issuedAt) / 2
      if (b.version === version && Date.now() / 1000 < b.payload.issuedAt + half) {
        this.#signed.delete(scope)
        this.#signed.set(scope, cached)
        return b
      }
      this.#drop(scope, b)
    }
    // Signing a large bundle takes milliseconds of CPU: yield to I/O first, so a burst of
    // released long-polls does not stall applies and health checks behind it.
    // The config is read now, with the version it belongs to; only the signing waits.
    const configJson = this.#configJson(scope)
    const signing = new Promise<void>((r) => setImmediate(r)).then(() => signBundleJson(this.#key, { version, scope, configJson }, { ...(this.#lifetime !== undefined && { lifetimeSeconds: this.#lifetime }) }))
    this.#signed.set(scope, signing)
    signing.then(
      (b) => {
        if (this.#signed.get(scope) !== signing) return
        this.#signedBytes += b.jws.length
        if (b.jws.length > MAX_BUNDLE_BYTES)
          console.warn(`weft control: the bundle of ${scope} at version ${version} is ${b.jws.length} bytes, over the ${MAX_BUNDLE_BYTES} proxies accept; they will refuse it`)
        for (const [s, p] of this.#signed) {
          if (this.#signedBytes <= this.#maxBytes || s === scope) break
          void p.then((old) => this.#drop(s, old))
        }
      },
      () => this.#signed.delete(scope),
    )
    return signing
  }

  #drop(scope: string, b: SignedBundle): void {
    if (!this.#signed.has(scope)) return
    this.#signed.delete(scope)
    this.#signedBytes -= b.jws.length
  }

  /** The compiled subset of a bundle scope, serialized once per version. */
  #configJson(scope: string): string {
    let json = this.#compiled.get(scope)
    if (json === undefined) {
      json = JSON.stringify(withoutOrigins(compileScope(this.#store.config, scope)))
      this.#compiled.set(scope, json)
    }
    return json
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
