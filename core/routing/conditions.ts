/**
 * @module
 * The non-path parts of an HTTPRouteMatch — method, headers, query params — compiled
 * once into plain predicates. Inside one match they are ANDed (httproute_types.go).
 *
 * @example
 * const c = compileConditions({ path: { type: 'PathPrefix', value: '/' }, method: 'GET', headers: [], queryParams: [] })
 * c.method // 'GET'
 */
import type { HTTPRouteMatch } from '../config/types.js'
import type { HeaderMap } from '../http/view.js'

export interface ValueCondition {
  /** Header names lower-cased; query names kept as written (they are case-sensitive). */
  name: string
  exact?: string
  regex?: RegExp
}

export interface Conditions {
  method?: string
  headers: ValueCondition[]
  query: ValueCondition[]
}

/** Regular expressions match the whole value, as Envoy's safe_regex does. */
export function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`)
}

function valueCondition(name: string, type: string, value: string): ValueCondition {
  return type === 'RegularExpression' ? { name, regex: fullMatch(value) } : { name, exact: value }
}

/** Only the first entry of a repeated name counts (spec: "only the first entry ... MUST be considered"). */
function firstByName<T extends { name: string }>(items: T[], key: (n: string) => string): T[] {
  const seen = new Set<string>()
  return items.filter((i) => {
    const k = key(i.name)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

export function compileConditions(m: HTTPRouteMatch): Conditions {
  return {
    method: m.method,
    headers: firstByName(m.headers, (n) => n.toLowerCase()).map((h) =>
      valueCondition(h.name.toLowerCase(), h.type, h.value),
    ),
    query: firstByName(m.queryParams, (n) => n).map((q) => valueCondition(q.name, q.type, q.value)),
  }
}

function test(c: ValueCondition, v: string | undefined): boolean {
  if (v === undefined) return false
  return c.exact !== undefined ? c.exact === v : c.regex!.test(v)
}

/** The request's query parsed once, only when a candidate rule has query conditions. */
export type QueryLookup = () => Map<string, string>

export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>()
  if (query === '') return out
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = safeDecode(eq === -1 ? part : part.slice(0, eq))
    // A repeated parameter: the first value counts (the spec leaves it undefined).
    if (!out.has(name)) out.set(name, eq === -1 ? '' : safeDecode(part.slice(eq + 1)))
  }
  return out
}

function safeDecode(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

export function conditionsMatch(c: Conditions, method: string, headers: HeaderMap, query: QueryLookup): boolean {
  if (c.method !== undefined && c.method !== method) return false
  for (let i = 0; i < c.headers.length; i++) {
    const h = c.headers[i]!
    const v = headers[h.name]
    if (!test(h, Array.isArray(v) ? v.join(',') : v)) return false
  }
  if (c.query.length > 0) {
    const q = query()
    for (let i = 0; i < c.query.length; i++) {
      const p = c.query[i]!
      if (!test(p, q.get(p.name))) return false
    }
  }
  return true
}
