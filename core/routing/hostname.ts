/**
 * @module
 * Gateway API hostname rules: wildcard matching, listener/route intersection and
 * specificity. A wildcard `*.example.com` matches one or more labels in front of
 * `example.com`, never `example.com` itself.
 *
 * @example
 * intersectHostnames('*.example.com', 'foo.example.com') // 'foo.example.com'
 * hostnameMatches('*.example.com', 'a.b.example.com')    // true
 */

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.')
}

/** Does `pattern` (exact or `*.suffix`) match the concrete request host `host`? */
export function hostnameMatches(pattern: string, host: string): boolean {
  if (!isWildcard(pattern)) return pattern === host
  const suffix = pattern.slice(1) // '.example.com'
  return host.length > suffix.length && host.endsWith(suffix)
}

/**
 * The hostnames a route serves on a listener: the intersection of the two.
 * `undefined` listener hostname matches everything. Returns undefined when they do
 * not intersect.
 */
export function intersectHostnames(listener: string | undefined, route: string): string | undefined {
  if (listener === undefined) return route
  if (listener === route) return route
  const lw = isWildcard(listener)
  const rw = isWildcard(route)
  if (!lw && !rw) return undefined
  if (lw && !rw) return hostnameMatches(listener, route) ? route : undefined
  if (!lw && rw) return hostnameMatches(route, listener) ? listener : undefined
  // Both wildcards: the more specific one, if it lies within the other.
  if (hostnameMatches(listener, route.slice(2))) return route
  if (hostnameMatches(route, listener.slice(2))) return listener
  return undefined
}

/**
 * Pick the most specific entry for `host` from a table keyed by exact hostnames,
 * wildcard patterns and '' (no hostname, the fallback): exact, then wildcards with
 * the most labels, then the fallback (gateway_types.go, Listener.Hostname).
 */
export function lookupByHostname<T>(table: HostTable<T>, host: string): T | undefined {
  const exact = table.exact.get(host)
  if (exact !== undefined) return exact
  if (table.wildcards.size > 0) {
    let i = host.indexOf('.')
    while (i !== -1 && i < host.length - 1) {
      const w = table.wildcards.get(host.slice(i))
      if (w !== undefined) return w
      i = host.indexOf('.', i + 1)
    }
  }
  return table.fallback
}

/** A hostname-keyed table; wildcard keys are stored without the `*` (as `.example.com`). */
export interface HostTable<T> {
  exact: Map<string, T>
  wildcards: Map<string, T>
  fallback?: T
}

export function newHostTable<T>(): HostTable<T> {
  return { exact: new Map(), wildcards: new Map() }
}

/** Get or create the entry for `hostname` (exact, `*.x` or '' for the fallback). */
export function hostTableEntry<T>(table: HostTable<T>, hostname: string, create: () => T): T {
  if (hostname === '') return (table.fallback ??= create())
  const [map, key] = isWildcard(hostname) ? [table.wildcards, hostname.slice(1)] : [table.exact, hostname]
  let v = map.get(key)
  if (v === undefined) map.set(key, (v = create()))
  return v
}
