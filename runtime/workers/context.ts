/**
 * @module
 * The execution context of the event being handled, for work that must outlive the
 * response: a mirrored request, a status report to the control plane, a bundle
 * refresh. On Workers such work is cancelled once the response is sent unless it is
 * registered with `ctx.waitUntil`; the code that starts it (the shared fetch upstream's
 * mirror, core/bundle's status report) knows nothing of Workers, so the context travels
 * in an AsyncLocalStorage (workerd: compatibility flag `nodejs_als`).
 *
 * @example
 * return withContext(ctx, () => handle(request))
 * keepAlive(fetch(mirrorUrl))     // registered with that event's waitUntil
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { WorkerContext } from './types.js'

const current = new AsyncLocalStorage<WorkerContext>()

export function withContext<T>(ctx: WorkerContext, fn: () => T): T {
  return current.run(ctx, fn)
}

/** Keep the event alive until `p` settles (no-op outside an event). */
export function keepAlive(p: Promise<unknown>): void {
  current.getStore()?.waitUntil(p.then(
    () => {},
    () => {},
  ))
}
