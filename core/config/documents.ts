/**
 * @module
 * Splits a config file into documents: `---`-separated YAML (the `yaml` package,
 * YAML 1.2 with `<<` merge keys and unique keys, as kubectl reads it) or, for a
 * `.json` file, one JSON value. Each document keeps its index in the file (empty
 * ones included, so "document 3" is the third the operator sees), its syntax
 * errors with line and column, and a way to find the line of a field path for
 * error messages.
 *
 * @example
 * for (const doc of readDocuments({ name: 'mesh.yaml', text })) {
 *   if (doc.errors.length) report(doc.errors)
 *   else if (doc.value !== undefined) use(doc.value, doc.lineOf(['spec', 'rules', 0]))
 * }
 */
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml'

export interface SourceDocument {
  /** 0-based index of the document in its file. */
  index: number
  /** The document's data; undefined for an empty document or one with syntax errors. */
  value: unknown
  errors: { line?: number; message: string }[]
  /** 1-based line of the deepest part of `path` that exists in the source, when known. */
  lineOf(path: readonly PropertyKey[]): number | undefined
}

const noLine = () => undefined

/** Line of the key (or list item) that `path` leads to; stops at the deepest part that exists. */
function locate(doc: Document.Parsed, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents
  let offset = isNode(node) ? node.range?.[0] : undefined
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg))
      if (!pair) break
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0]
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg]
      if (!isNode(item) || !item.range) break
      offset = item.range[0]
      node = item
    } else break
  }
  return offset === undefined ? undefined : Math.max(1, lines.linePos(offset).line)
}

function readYaml(text: string): SourceDocument[] {
  const lines = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true })
  return Array.from(docs, (doc, index): SourceDocument => {
    const errors = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0])
      return { line: Math.max(1, line), message: `YAML syntax error (line ${Math.max(1, line)}, column ${col}): ${e.message}` }
    })
    if (errors.length > 0) return { index, value: undefined, errors, lineOf: noLine }
    let value: unknown
    try {
      // The alias cap guards against "billion laughs" documents.
      value = doc.toJS({ maxAliasCount: 1000 })
    } catch (err) {
      return { index, value: undefined, errors: [{ message: `YAML error: ${(err as Error).message}` }], lineOf: noLine }
    }
    return { index, value: value ?? undefined, errors: [], lineOf: (path) => locate(doc, lines, path) }
  })
}

function readJson(text: string): SourceDocument[] {
  if (text.trim() === '') return []
  try {
    return [{ index: 0, value: JSON.parse(text) ?? undefined, errors: [], lineOf: noLine }]
  } catch (err) {
    const message = (err as Error).message
    // V8 says "... at position N" (older) or "(line L column C)" (newer).
    const at = /position (\d+)/.exec(message)
    const explicit = /line (\d+)/.exec(message)
    const line = explicit ? Number(explicit[1]) : at ? text.slice(0, Number(at[1])).split('\n').length : undefined
    return [{ index: 0, value: undefined, errors: [{ ...(line !== undefined && { line }), message: `JSON syntax error: ${message}` }], lineOf: noLine }]
  }
}

/** The documents of one file: JSON when the name ends in `.json`, YAML otherwise (YAML also reads JSON). */
export function readDocuments(file: { name: string; text: string }): SourceDocument[] {
  return /\.json$/i.test(file.name) ? readJson(file.text) : readYaml(file.text)
}
