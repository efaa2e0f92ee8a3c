/**
 * The README capability table is what docs/capabilities.json renders (so the committed
 * table always matches the committed results), the JSON is what its own test list
 * yields (not edited by hand), and the status rules of scripts/capabilities.mjs.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildCapabilities, END, JSON_FILE, parseTags, README_FILE, readCapabilities, renderTable, ROOT, START } from '../../scripts/capabilities.mjs'

describe('the README capability table', () => {
  it('matches what docs/capabilities.json renders (node scripts/capabilities.mjs rewrites it)', () => {
    const readme = readFileSync(`${ROOT}/${README_FILE}`, 'utf8')
    const a = readme.indexOf(START)
    const b = readme.indexOf(END)
    expect(a, `${README_FILE} has no ${START} marker`).toBeGreaterThanOrEqual(0)
    expect(b).toBeGreaterThan(a)
    expect(readme.slice(a, b + END.length)).toBe(renderTable(readCapabilities()))
  })

  it(`${JSON_FILE} holds exactly the statuses its own test results give`, () => {
    const caps = readCapabilities()
    const tests = new Map<string, string>()
    for (const cells of Object.values(caps.results)) for (const cell of Object.values(cells)) for (const t of cell.tests) tests.set(t.name, t.state)
    expect(buildCapabilities([...tests].map(([name, state]) => ({ name, state })))).toEqual(caps)
  })

  it('links every unsupported cell to a doc (and heading) that exists', () => {
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
    const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
    for (const cells of Object.values(readCapabilities().results))
      for (const cell of Object.values(cells)) {
        if (cell.status !== 'unsupported') continue
        const [file, anchor] = cell.doc!.split('#') as [string, string | undefined]
        expect(existsSync(`${ROOT}/${file}`), cell.doc).toBe(true)
        if (anchor === undefined) continue
        const headings = [...readFileSync(`${ROOT}/${file}`, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!))
        expect(headings, `${cell.doc}: no such heading`).toContain(anchor)
      }
  })
})

describe('capability status rules', () => {
  const status = (tests: { name: string; state: string }[]) => buildCapabilities(tests).results.bun!.tls!.status

  it('works when every tagged test passed; failing when one failed; untested when none ran', () => {
    expect(status([{ name: 'a [cap bun tls]', state: 'passed' }, { name: 'b [cap bun tls]', state: 'passed' }])).toBe('works')
    expect(status([{ name: 'a [cap bun tls]', state: 'passed' }, { name: 'b [cap bun tls]', state: 'failed' }])).toBe('failing')
    expect(status([{ name: 'a [cap bun tls]', state: 'skipped' }])).toBe('untested')
    expect(status([])).toBe('untested')
  })

  it('unsupported when only a passing limitation test speaks for it, with its doc link (default: the runtime doc)', () => {
    const caps = buildCapabilities([{ name: 'refused [cap bun tls unsupported docs/runtimes/bun.md#tls]', state: 'passed' }, { name: 'x [cap deno tls unsupported]', state: 'passed' }])
    expect(caps.results.bun!.tls).toMatchObject({ status: 'unsupported', doc: 'docs/runtimes/bun.md#tls' })
    expect(caps.results.deno!.tls).toMatchObject({ status: 'unsupported', doc: 'docs/runtimes/deno.md' })
    expect(renderTable(caps)).toContain('❌ [1](docs/runtimes/bun.md#tls)')
  })

  it('reads several tags from one title, and refuses unknown runtimes and cells', () => {
    expect(parseTags('h2 [cap node tls] [cap node http2]')).toEqual([
      { runtime: 'node', cell: 'tls', unsupported: false },
      { runtime: 'node', cell: 'http2', unsupported: false },
    ])
    expect(() => parseTags('x [cap rust tls]')).toThrow(/unknown runtime/)
    expect(() => parseTags('x [cap node tsl]')).toThrow(/unknown cell/)
  })
})
