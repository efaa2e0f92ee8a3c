/**
 * @module
 * Weighted backendRefs: pick one backend per request by weight (weight 0 gets nothing).
 * Cumulative weights are computed once at compile time; a request does one random
 * draw and a short scan.
 *
 * @example
 * const handler = split([{ weight: 90, name: 'v1', handler: v1 }, { weight: 10, name: 'v2', handler: v2 }])
 */
import { BackendUnresolved } from '../errors.js'
import type { Handler } from '../pipeline/stage.js'

export interface WeightedHandler {
  weight: number
  /** `namespace/name` of the backend, for ctx.backend and metrics. */
  name: string
  handler: Handler
}

export function split(backends: WeightedHandler[], rule: string): Handler {
  const live = backends.filter((b) => b.weight > 0)
  if (live.length === 0) {
    const why = backends.length === 0 ? 'has no backendRefs' : 'has no backendRef with a weight above 0'
    return async function noBackend() {
      throw new BackendUnresolved(`route rule ${rule} ${why}`)
    }
  }
  if (live.length === 1) {
    const only = live[0]!
    return function single(req, ctx) {
      ctx.backend = only.name
      return only.handler(req, ctx)
    }
  }
  const cumulative: number[] = []
  let total = 0
  for (const b of live) cumulative.push((total += b.weight))
  return function weighted(req, ctx) {
    const draw = Math.random() * total
    let i = 0
    while (cumulative[i]! <= draw) i++
    const b = live[i]!
    ctx.backend = b.name
    return b.handler(req, ctx)
  }
}
