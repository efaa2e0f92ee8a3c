/**
 * @module
 * Where a proxy keeps its last-known-good bundle (the compact JWS, exactly as it was
 * verified): disk on Node/Bun/Deno (runtime/node/fs-cache.ts), KV on Workers. Saved
 * only after a bundle activated; loaded — and verified again — at boot, before the
 * first poll. A cache never decides anything: what it returns is untrusted input.
 *
 * @example
 * const cache = memoryCache()
 * await cache.save(jws); await cache.load() // jws
 */
export interface BundleCache {
  /** The last saved bundle, or undefined when there is none (or it cannot be read). */
  load(): Promise<string | undefined>
  /** Replace the saved bundle, atomically: a crash leaves the old one or the new one. */
  save(jws: string): Promise<void>
}

/** A cache that lives as long as the process (tests; runtimes without storage). */
export function memoryCache(initial?: string): BundleCache {
  let saved = initial
  return {
    load: async () => saved,
    save: async (jws) => {
      saved = jws
    },
  }
}
