/**
 * @module
 * The last-known-good bundle kept in Workers KV (the Workers counterpart of
 * runtime/node/fs-cache.ts): key `bundle:<scope>`, value the compact JWS exactly as it
 * was verified. KV writes are atomic per key (a reader sees the old value or the new
 * one). What it returns is untrusted: the caller verifies it again at isolate start.
 * KV is eventually consistent across locations (up to ~60 s): another isolate may
 * briefly boot from an older bundle, then refreshes from the control plane.
 *
 * @example
 * const cache = kvBundleCache(env.WEFT_BUNDLES, 'gateway.default.edge')
 */
import type { BundleCache } from '../../core/bundle/cache.js'
import type { KvNamespace } from './types.js'

export const kvKey = (scope: string) => `bundle:${scope}`

export function kvBundleCache(kv: KvNamespace, scope: string): BundleCache {
  const key = kvKey(scope)
  return {
    async load() {
      return (await kv.get(key, 'text')) ?? undefined
    },
    async save(jws) {
      await kv.put(key, jws)
    },
  }
}
