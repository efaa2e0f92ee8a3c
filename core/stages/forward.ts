/**
 * @module
 * The terminal stage: choose an endpoint of the resolved Service (round robin) and
 * hand the request to the runtime's upstream client. An unresolved backend answers
 * 500 (Gateway API: requests routed to an invalid backend get 500), an empty Service
 * 503.
 *
 * @example
 * const handler = forward(resolveBackend(config, 'HTTPRoute', 'default', ref), upstream)
 */
import { BackendUnresolved, NoHealthyUpstream } from '../errors.js'
import type { Handler } from '../pipeline/stage.js'
import type { ResolvedBackend } from '../routing/backends.js'
import type { Upstream } from '../upstream/upstream.js'

export function forward(backend: ResolvedBackend, upstream: Upstream): Handler {
  if (!backend.ok) {
    const reason = backend.reason
    return async function unresolved() {
      throw new BackendUnresolved(reason)
    }
  }
  const { endpoints, name } = backend
  if (endpoints.length === 0) {
    return async function noEndpoints() {
      throw new NoHealthyUpstream(name)
    }
  }
  if (endpoints.length === 1) {
    const only = endpoints[0]!
    return function forward(req, ctx) {
      return upstream.send(only, req, ctx.signal)
    }
  }
  let next = 0
  return function forward(req, ctx) {
    const ep = endpoints[next]!
    next = next + 1 === endpoints.length ? 0 : next + 1
    return upstream.send(ep, req, ctx.signal)
  }
}
