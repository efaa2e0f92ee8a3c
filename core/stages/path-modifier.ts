/**
 * @module
 * HTTPPathModifier, shared by URLRewrite and RequestRedirect. ReplacePrefixMatch swaps
 * only the matched prefix, segment-wise (table in httproute_types.go):
 * `/foo/bar` with prefix `/foo` and replacement `/xyz` → `/xyz/bar`; replacement `/` or
 * '' strips it (`/foo` → `/`).
 *
 * @example
 * modifyPath({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz' }, '/foo/bar', '/foo') // '/xyz/bar'
 */
import type { PathModifier } from '../config/types.js'

export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  const rest = path.slice(p.length) // '' or starts with '/'
  const r = replacement.endsWith('/') ? replacement.slice(0, -1) : replacement
  const out = r + rest
  return out === '' ? '/' : out
}

/** `prefix` is the matched PathPrefix value; undefined when the match was not a prefix. */
export function modifyPath(m: PathModifier, path: string, prefix: string | undefined): string {
  if (m.type === 'ReplaceFullPath') return m.replaceFullPath
  return replacePrefix(path, prefix ?? '', m.replacePrefixMatch)
}
