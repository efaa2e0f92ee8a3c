/**
 * @module
 * The rules of one hostname group, indexed by path so a lookup costs the depth of the
 * request path, not the number of routes: a map for Exact paths, a segment trie for
 * PathPrefix (segment-wise: `/foo` matches `/foo/bar`, never `/foobar`), a list for
 * RegularExpression. Each bucket is pre-sorted by the spec's precedence, so the first
 * entry whose conditions hold wins.
 *
 * Precedence (httproute_types.go, HTTPRouteRule.Matches): Exact, then longest prefix;
 * then method match, most header matches, most query matches; then oldest route,
 * then `{namespace}/{name}`, then rule order. RegularExpression paths rank between
 * Exact and PathPrefix, as in Envoy Gateway (the spec leaves regex precedence open).
 *
 * @example
 * const idx = new PathIndex<string>()
 * idx.add({ kind: 'prefix', value: '/v2', conditions: { headers: [], query: [] }, order: [0], target: 'v2' })
 * idx.finish()
 * idx.lookup('GET', '/v2/users', {}, () => new Map())?.target // 'v2'
 */
import { conditionsMatch, type Conditions, type QueryLookup } from './conditions.js'
import type { HeaderMap } from '../http/view.js'

export interface IndexEntry<T> {
  kind: 'exact' | 'prefix' | 'regex'
  /** Exact: the path; prefix: the prefix without trailing '/' ('' for '/'); regex: the source. */
  value: string
  regex?: RegExp
  conditions: Conditions
  /** Tie-break key after the condition counts: route age, route name, rule, match. */
  order: (number | string)[]
  target: T
}

interface TrieNode<T> {
  children: Map<string, TrieNode<T>>
  entries: IndexEntry<T>[]
}

function compareEntries<T>(a: IndexEntry<T>, b: IndexEntry<T>): number {
  const am = a.conditions.method !== undefined ? 1 : 0
  const bm = b.conditions.method !== undefined ? 1 : 0
  if (am !== bm) return bm - am
  if (a.conditions.headers.length !== b.conditions.headers.length)
    return b.conditions.headers.length - a.conditions.headers.length
  if (a.conditions.query.length !== b.conditions.query.length)
    return b.conditions.query.length - a.conditions.query.length
  for (let i = 0; i < a.order.length; i++) {
    const x = a.order[i]!
    const y = b.order[i]!
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function firstMatch<T>(entries: IndexEntry<T>[], method: string, headers: HeaderMap, query: QueryLookup) {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    if (conditionsMatch(e.conditions, method, headers, query)) return e
  }
  return undefined
}

export class PathIndex<T> {
  private exact = new Map<string, IndexEntry<T>[]>()
  private regex: IndexEntry<T>[] = []
  private root: TrieNode<T> = { children: new Map(), entries: [] }
  size = 0

  add(entry: IndexEntry<T>): void {
    this.size++
    if (entry.kind === 'exact') {
      let list = this.exact.get(entry.value)
      if (!list) this.exact.set(entry.value, (list = []))
      list.push(entry)
    } else if (entry.kind === 'regex') {
      this.regex.push(entry)
    } else {
      let node = this.root
      // '/a/b' → ['a', 'b']; '' (the prefix '/') stays at the root.
      for (const seg of entry.value === '' ? [] : entry.value.slice(1).split('/')) {
        let next = node.children.get(seg)
        if (!next) node.children.set(seg, (next = { children: new Map(), entries: [] }))
        node = next
      }
      node.entries.push(entry)
    }
  }

  /** Sort every bucket by precedence; call once after the last add. */
  finish(): void {
    for (const list of this.exact.values()) list.sort(compareEntries)
    // Longer regexes first (a proxy for specificity), then the usual precedence.
    this.regex.sort((a, b) => b.value.length - a.value.length || compareEntries(a, b))
    const visit = (n: TrieNode<T>) => {
      n.entries.sort(compareEntries)
      for (const c of n.children.values()) visit(c)
    }
    visit(this.root)
  }

  lookup(method: string, path: string, headers: HeaderMap, query: QueryLookup): IndexEntry<T> | undefined {
    const exact = this.exact.get(path)
    if (exact !== undefined) {
      const e = firstMatch(exact, method, headers, query)
      if (e) return e
    }
    for (let i = 0; i < this.regex.length; i++) {
      const e = this.regex[i]!
      if (e.regex!.test(path) && conditionsMatch(e.conditions, method, headers, query)) return e
    }
    return this.lookupPrefix(this.root, path, 1, method, headers, query)
  }

  /** Deepest (longest) matching prefix first, then back towards the root. */
  private lookupPrefix(
    node: TrieNode<T>,
    path: string,
    pos: number,
    method: string,
    headers: HeaderMap,
    query: QueryLookup,
  ): IndexEntry<T> | undefined {
    if (node.children.size > 0 && pos <= path.length) {
      let end = path.indexOf('/', pos)
      if (end === -1) end = path.length
      const child = node.children.get(path.slice(pos, end))
      if (child !== undefined) {
        const e = this.lookupPrefix(child, path, end + 1, method, headers, query)
        if (e) return e
      }
    }
    return node.entries.length > 0 ? firstMatch(node.entries, method, headers, query) : undefined
  }
}
