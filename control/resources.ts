/**
 * @module
 * Resources as the Control API receives them: read a request body (JSON
 * `{resources: [...]}`, `{files: [{name, text}]}`, or YAML/JSON text) into files,
 * pull out each raw resource with its identity (kind, namespace, name), and compare
 * two resource maps (the diff of a dry run and of the version history).
 *
 * @example
 * const files = filesFromBody(contentType, text)
 * const raws = rawResources(files) // [{ key: 'HTTPRoute default/web', kind, namespace, name, raw }]
 */
import { readDocuments } from '../core/config/documents.js'
import { resourceLabel } from '../core/config/load.js'
import { dropNulls } from '../core/config/schema.js'

export interface RawResource {
  /** `Kind ns/name` (`Namespace name` for namespaces): the identity an apply upserts by. */
  key: string
  kind: string
  namespace: string
  name: string
  /** The resource as sent, nulls dropped. */
  raw: Record<string, unknown>
}

export interface Diff {
  added: string[]
  changed: string[]
  removed: string[]
}

export class BodyError extends Error {
  override name = 'BodyError'
}

/** The files a request body holds; see the module comment. */
export function filesFromBody(contentType: string, text: string): { name: string; text: string }[] {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type === '') {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      if (type === '') return [{ name: 'request', text }]
      throw new BodyError(`the body is not valid JSON: ${(err as Error).message}`)
    }
    const b = body as { resources?: unknown; files?: unknown }
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      if (Array.isArray(b.files)) {
        return b.files.map((f: unknown, i) => {
          const { name, text } = (f ?? {}) as { name?: unknown; text?: unknown }
          if (typeof text !== 'string') throw new BodyError(`files[${i}].text must be a string (the file's YAML or JSON)`)
          return { name: typeof name === 'string' ? name : `files[${i}]`, text }
        })
      }
      // Named .json: read with JSON.parse (the YAML reader takes JSON too, ~10× slower at thousands of resources).
      if (Array.isArray(b.resources)) return [{ name: 'request.json', text: JSON.stringify(b.resources) }]
      if (b.resources !== undefined) throw new BodyError('resources must be a list of resources')
    }
    // A resource, a list, or a kind: List sent as plain JSON.
    return [{ name: 'request.json', text }]
  }
  if (type.includes('yaml') || type === 'text/plain') return [{ name: 'request.yaml', text }]
  throw new BodyError(`unsupported content-type ${type}: send application/json ({"resources": [...]}) or application/yaml`)
}

function identity(raw: Record<string, unknown>): Omit<RawResource, 'raw'> | undefined {
  const kind = raw.kind
  const meta = raw.metadata as { name?: unknown; namespace?: unknown } | undefined
  if (typeof kind !== 'string' || typeof meta?.name !== 'string') return undefined
  const namespace = kind === 'Namespace' ? '' : typeof meta.namespace === 'string' ? meta.namespace : 'default'
  return { key: resourceLabel(kind, namespace, meta.name), kind, namespace, name: meta.name }
}

/** Every resource in `files` that has a kind and a name (a document, a list, or a `kind: List`). */
export function rawResources(files: { name: string; text: string }[]): { resources: RawResource[]; unnamed: string[] } {
  const resources: RawResource[] = []
  const unnamed: string[] = []
  for (const file of files) {
    for (const doc of readDocuments(file)) {
      if (doc.value === undefined || doc.value === null) continue
      const v = doc.value as { kind?: unknown; items?: unknown }
      const items: unknown[] = Array.isArray(doc.value) ? doc.value : v.kind === 'List' && Array.isArray(v.items) ? v.items : [doc.value]
      items.forEach((item, i) => {
        const raw = dropNulls(item) as Record<string, unknown>
        const id = typeof raw === 'object' && raw !== null ? identity(raw) : undefined
        if (id) resources.push({ ...id, raw })
        else unnamed.push(`${file.name} document ${doc.index + 1}${items.length > 1 ? ` item ${i}` : ''}`)
      })
    }
  }
  return { resources, unnamed }
}

/** JSON with object keys sorted, so two equal resources compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
  return JSON.stringify(value)
}

export function diff(before: ReadonlyMap<string, RawResource>, after: ReadonlyMap<string, RawResource>): Diff {
  const d: Diff = { added: [], changed: [], removed: [] }
  for (const [k, r] of after) {
    const old = before.get(k)
    if (!old) d.added.push(k)
    else if (canonical(old.raw) !== canonical(r.raw)) d.changed.push(k)
  }
  for (const k of before.keys()) if (!after.has(k)) d.removed.push(k)
  return d
}

export const isEmptyDiff = (d: Diff) => d.added.length + d.changed.length + d.removed.length === 0
