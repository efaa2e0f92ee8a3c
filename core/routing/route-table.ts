/**
 * @module
 * A listener's compiled routes: hostname groups (exact, wildcard, any), each a
 * PathIndex. Hostname specificity decides first (httproute_types.go Hostnames: the
 * longest matching non-wildcard hostname, then the longest matching hostname), then
 * the match precedence inside the group; a group with no matching rule falls through
 * to the next less specific one.
 *
 * @example
 * const entry = matchRoute(listener.routes, req)
 */
import type { HeaderMap } from '../http/view.js'
import type { Handler, MatchedRoute } from '../pipeline/stage.js'
import type { HostTable } from './hostname.js'
import type { PathIndex, IndexEntry } from './path-index.js'
import type { QueryLookup } from './conditions.js'

export interface RuleTarget {
  matched: MatchedRoute
  handler: Handler
}

export type RouteTable = HostTable<PathIndex<RuleTarget>>

export function matchRoute(
  table: RouteTable,
  host: string,
  method: string,
  path: string,
  headers: HeaderMap,
  query: QueryLookup,
): IndexEntry<RuleTarget> | undefined {
  const exact = table.exact.get(host)
  if (exact !== undefined) {
    const e = exact.lookup(method, path, headers, query)
    if (e) return e
  }
  if (table.wildcards.size > 0) {
    let i = host.indexOf('.')
    while (i !== -1 && i < host.length - 1) {
      const w = table.wildcards.get(host.slice(i))
      if (w !== undefined) {
        const e = w.lookup(method, path, headers, query)
        if (e) return e
      }
      i = host.indexOf('.', i + 1)
    }
  }
  return table.fallback?.lookup(method, path, headers, query)
}
