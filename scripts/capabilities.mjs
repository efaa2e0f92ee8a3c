#!/usr/bin/env node
/**
 * The README capability table, generated from the test matrix, not claimed.
 *
 * A test whose title carries `[cap RUNTIME CELL]` is evidence that CELL works on
 * RUNTIME; `[cap RUNTIME CELL unsupported]` (optionally followed by a doc link,
 * `[cap workerd tls unsupported docs/workers.md#tls]`) is evidence of a documented
 * limitation: the test asserts exactly the documented behaviour. The vitest reporter
 * (test/support/capability-reporter.ts) collects those titles and their results into
 * docs/capabilities.json with `buildCapabilities`; this script renders the table from
 * that JSON between the README markers.
 *
 *   node scripts/capabilities.mjs           rewrite the README table from docs/capabilities.json
 *   node scripts/capabilities.mjs --check   exit 1 when the README table differs
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const JSON_FILE = 'docs/capabilities.json'
export const README_FILE = 'README.md'
export const START = '<!-- capabilities:start -->'
export const END = '<!-- capabilities:end -->'

export const RUNTIMES = [
  { id: 'node', label: 'Node', doc: 'docs/runtimes.md' },
  { id: 'bun', label: 'Bun', doc: 'docs/runtimes/bun.md' },
  { id: 'deno', label: 'Deno', doc: 'docs/runtimes/deno.md' },
  { id: 'workerd', label: 'Workers (workerd)', doc: 'docs/workers.md#what-a-worker-cannot-do-the-capability-cells' },
]

export const CELLS = [
  { id: 'serve', label: 'serve' },
  { id: 'upstream-pool', label: 'upstream pools' },
  { id: 'streaming', label: 'streaming' },
  { id: 'http2', label: 'HTTP/2' },
  { id: 'tls', label: 'TLS' },
  { id: 'client-cert-in', label: 'client cert in' },
  { id: 'client-cert-out', label: 'client cert out' },
  { id: 'persistence', label: 'persistence' },
  { id: 'hot-swap', label: 'hot swap' },
]

const TAG = /\[cap (\S+) (\S+?)(?: (unsupported))?(?: (\S+?))?\]/g

/** Every `[cap …]` tag in a test title: `{runtime, cell, unsupported, doc?}`; unknown runtimes/cells are errors. */
export function parseTags(title) {
  const tags = []
  for (const m of title.matchAll(TAG)) {
    const [, runtime, cell, unsupported, doc] = m
    if (!RUNTIMES.some((r) => r.id === runtime)) throw new Error(`${title}: [cap ${runtime} …]: unknown runtime (one of ${RUNTIMES.map((r) => r.id).join(', ')})`)
    if (!CELLS.some((c) => c.id === cell)) throw new Error(`${title}: [cap ${runtime} ${cell}]: unknown cell (one of ${CELLS.map((c) => c.id).join(', ')})`)
    if (doc !== undefined && !unsupported) throw new Error(`${title}: a doc link goes after "unsupported": [cap ${runtime} ${cell} unsupported ${doc}]`)
    tags.push({ runtime, cell, unsupported: Boolean(unsupported), ...(doc && { doc }) })
  }
  return tags
}

/**
 * From the tagged tests of a run (`[{name, state}]`, state: passed | failed | skipped),
 * the status of every runtime × cell:
 * - `works`: every `[cap R C]` test passed (at least one ran);
 * - `unsupported`: no works-test, and every `[cap R C unsupported]` test passed;
 * - `failing`: some evidence test failed;
 * - `untested`: no evidence test ran.
 */
export function buildCapabilities(tests) {
  const results = {}
  for (const r of RUNTIMES) {
    results[r.id] = {}
    for (const c of CELLS) results[r.id][c.id] = { status: 'untested', tests: [] }
  }
  for (const t of tests) {
    for (const tag of parseTags(t.name)) {
      results[tag.runtime][tag.cell].tests.push({ name: t.name, state: t.state, ...(tag.unsupported && { unsupported: true }), ...(tag.doc && { doc: tag.doc }) })
    }
  }
  for (const r of RUNTIMES) {
    for (const c of CELLS) {
      const cell = results[r.id][c.id]
      cell.tests.sort((a, b) => a.name.localeCompare(b.name))
      const ran = cell.tests.filter((t) => t.state === 'passed' || t.state === 'failed')
      const works = ran.filter((t) => !t.unsupported)
      const limits = ran.filter((t) => t.unsupported)
      if (ran.some((t) => t.state === 'failed')) cell.status = 'failing'
      else if (works.length) cell.status = 'works'
      else if (limits.length) {
        cell.status = 'unsupported'
        cell.doc = limits.find((t) => t.doc)?.doc ?? r.doc
      }
    }
  }
  return { runtimes: RUNTIMES.map((r) => r.id), cells: CELLS.map((c) => c.id), results }
}

/** The Markdown between the README markers, for a capabilities JSON. */
export function renderTable(caps) {
  const footnotes = []
  const rows = RUNTIMES.map((r) => {
    const cells = CELLS.map((c) => {
      const cell = caps.results?.[r.id]?.[c.id] ?? { status: 'untested', tests: [] }
      switch (cell.status) {
        case 'works':
          return '✅'
        case 'failing':
          return '⚠️ failing'
        case 'unsupported': {
          const shown = cell.tests.find((t) => t.unsupported)
          const what = (shown?.name ?? '').replace(TAG, '').replace(/\s+/g, ' ').trim()
          footnotes.push(`${footnotes.length + 1}. ${r.label}, ${c.label}: see [${cell.doc.replace(/#.*/, '')}](${cell.doc}); the test: “${what}”`)
          return `❌ [${footnotes.length}](${cell.doc})`
        }
        default:
          return '—'
      }
    })
    return `| ${r.label} | ${cells.join(' | ')} |`
  })
  return [
    START,
    '<!-- generated by `node scripts/capabilities.mjs` from docs/capabilities.json (written by the test reporter on a full `npm test`); do not edit by hand -->',
    '',
    `| runtime | ${CELLS.map((c) => c.label).join(' | ')} |`,
    `| --- | ${CELLS.map(() => ':---:').join(' | ')} |`,
    ...rows,
    '',
    '✅ a test proves it works · ❌ does not work there, the test asserts the documented behaviour · ⚠️ its test fails · — no test yet.',
    ...(footnotes.length ? ['', ...footnotes] : []),
    '',
    'How this is generated: [docs/runtimes.md](docs/runtimes.md#the-capability-table).',
    END,
  ].join('\n')
}

/** `readme` with the marked section replaced by `table`; throws if the markers are missing. */
export function replaceSection(readme, table) {
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a < 0 || b < a) throw new Error(`${README_FILE}: markers ${START} … ${END} not found`)
  return readme.slice(0, a) + table + readme.slice(b + END.length)
}

export function readCapabilities(root = ROOT) {
  return JSON.parse(readFileSync(`${root}/${JSON_FILE}`, 'utf8'))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync(`${ROOT}/${README_FILE}`, 'utf8')
  const next = replaceSection(readme, renderTable(readCapabilities()))
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error(`${README_FILE}: the capability table differs from what ${JSON_FILE} renders; run node scripts/capabilities.mjs`)
      process.exit(1)
    }
    console.log(`${README_FILE}: the capability table matches ${JSON_FILE}`)
  } else if (next !== readme) {
    writeFileSync(`${ROOT}/${README_FILE}`, next)
    console.log(`${README_FILE}: capability table rewritten from ${JSON_FILE}`)
  }
}
