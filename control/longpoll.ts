/**
 * @module
 * Long-poll waiters: a `GET /v1/bundles/{proxy}?wait=S` whose `If-None-Match` is the
 * current version waits here until a newer version exists (→ 200) or `S` seconds pass
 * (→ 304). Every waiter is released on each new version: the ETag is the mesh
 * version, so every scope's bundle is new.
 *
 * @example
 * const waiters = new Waiters()
 * store.onChange((v) => waiters.release(v))
 * const newer = await waiters.wait(3, 30_000, signal) // true when a version > 3 arrived
 */
export class Waiters {
  readonly #waiting = new Set<{ after: number; done: (newer: boolean) => void }>()

  get size(): number {
    return this.#waiting.size
  }

  /** Resolves true once `release(v)` is called with `v > after`, false after `ms` or when `signal` aborts. */
  wait(after: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const w = {
        after,
        done: (newer: boolean) => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          this.#waiting.delete(w)
          resolve(newer)
        },
      }
      const onAbort = () => w.done(false)
      const timer = setTimeout(() => w.done(false), ms)
      this.#waiting.add(w)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  release(version: number): void {
    for (const w of [...this.#waiting]) if (version > w.after) w.done(true)
  }

  /** Let every waiter go (on shutdown). */
  releaseAll(): void {
    for (const w of [...this.#waiting]) w.done(false)
  }
}
