/**
 * @module
 * `loadConfig`: files in, a `ConfigSet` out — or every problem in every file and
 * document, each with the file, document, resource, field path and what to do
 * about it. Nothing is half-loaded: one problem anywhere and the result is
 * `ok: false` (DESIGN: a change is all-or-nothing). A document may hold one
 * resource, a list of them, or a `kind: List` with `items`.
 *
 * @example
 * const r = loadConfig([{ name: 'mesh.yaml', text }])
 * if (!r.ok) throw new Error(formatIssues(r.issues))
 * r.config.httpRoutes[0]?.origin // { file: 'mesh.yaml', document: 1 }
 */
import type { AnyResource, ConfigIssue, ConfigSet, Origin } from './types.js'
import { readDocuments } from './documents.js'
import { formatPath } from './messages.js'
import { KINDS, parseResource } from './schema.js'

export type LoadResult = { ok: true; config: ConfigSet } | { ok: false; issues: ConfigIssue[] }

export function emptyConfigSet(): ConfigSet {
  return { namespaces: [], secrets: [], gateways: [], httpRoutes: [], referenceGrants: [], services: [] }
}

/** `HTTPRoute default/web`, or `Namespace web` for the cluster-scoped kind. */
export function resourceLabel(kind: string, namespace: string, name: string): string {
  return kind === 'Namespace' ? `${kind} ${name}` : `${kind} ${namespace}/${name}`
}

/** The label of a raw document, as far as it can be read, for issues about it. */
function rawLabel(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const { kind, metadata } = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }
  if (typeof kind !== 'string' || typeof metadata?.name !== 'string') return undefined
  return resourceLabel(kind, typeof metadata.namespace === 'string' ? metadata.namespace : 'default', metadata.name)
}

interface Entry {
  /** Path of the resource inside its document: [] for a plain document, ['items', 2] in a List. */
  at: PropertyKey[]
  raw: unknown
}

/** The resources one document holds, or the problem with its shape. */
function entriesOf(value: unknown): Entry[] | { at: PropertyKey[]; message: string } {
  if (Array.isArray(value)) return value.map((raw, i) => ({ at: [i], raw }))
  const v = value as { kind?: unknown; items?: unknown }
  if (typeof value === 'object' && value !== null && v.kind === 'List') {
    if (!Array.isArray(v.items)) return { at: ['items'], message: 'must be a list of resources (a kind: List holds its resources under items)' }
    return v.items.map((raw, i) => ({ at: ['items', i], raw }))
  }
  return [{ at: [], raw: value }]
}

/** Loads and validates every resource of every file; see the module comment. */
export function loadConfig(files: { name: string; text: string }[]): LoadResult {
  const issues: ConfigIssue[] = []
  const config = emptyConfigSet()
  const seen = new Map<string, Origin>()

  for (const file of files) {
    for (const doc of readDocuments(file)) {
      const where = { file: file.name, document: doc.index }
      for (const e of doc.errors) issues.push({ ...where, ...(e.line !== undefined && { line: e.line }), message: e.message })
      if (doc.value === undefined) continue
      const entries = entriesOf(doc.value)
      if (!Array.isArray(entries)) {
        issues.push({ ...where, path: formatPath(entries.at), ...lineAt(doc.lineOf(entries.at)), message: entries.message })
        continue
      }
      for (const { at, raw } of entries) {
        const parsed = parseResource(raw)
        const label = parsed.ok ? resourceLabel(parsed.resource.kind, parsed.resource.metadata.namespace, parsed.resource.metadata.name) : rawLabel(raw)
        // Duplicates are looked for among invalid documents too, so fixing one error does not reveal another.
        const first = label === undefined ? undefined : seen.get(label)
        if (label !== undefined && first === undefined) seen.set(label, where)
        if (!parsed.ok) {
          for (const p of parsed.problems) {
            const path = [...at, ...p.path]
            issues.push({ ...where, ...(label && { resource: label }), ...(path.length > 0 && { path: formatPath(path) }), ...lineAt(doc.lineOf(path)), message: p.message })
          }
        }
        if (first) {
          const path = [...at, 'metadata', 'name']
          issues.push({
            ...where,
            resource: label!,
            path: formatPath(path),
            ...lineAt(doc.lineOf(path)),
            message: `${label!} is defined twice (first in ${first.file} document ${first.document + 1}); each kind, namespace and name may appear once`,
          })
        }
        if (parsed.ok && !first) add(config, { ...parsed.resource, origin: where })
      }
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config }
}

function lineAt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line }
}

function add(config: ConfigSet, r: AnyResource): void {
  ;(config[KINDS[r.kind].list] as AnyResource[]).push(r)
}

/**
 * One line per issue, e.g.
 * `mesh.yaml:14: document 2 (HTTPRoute default/web): spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000`.
 * Documents are counted from 1 here, as a reader counts them (`ConfigIssue.document` is 0-based).
 */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join('\n')
}

export function formatIssue(i: ConfigIssue): string {
  let out = i.line !== undefined ? `${i.file}:${i.line}:` : `${i.file}:`
  if (i.document !== undefined) out += ` document ${i.document + 1}`
  if (i.resource) out += ` (${i.resource})`
  if (i.document !== undefined || i.resource) out += ':'
  if (i.path) out += ` ${i.path}:`
  return `${out} ${i.message}`
}
