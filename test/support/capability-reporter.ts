/**
 * @module
 * A vitest reporter: collects every test whose title carries `[cap RUNTIME CELL]` or
 * `[cap RUNTIME CELL unsupported]` with its result, writes docs/capabilities.json
 * (runtime × cell → works | unsupported | failing | untested, with the test names) and
 * re-renders the README capability table from it (scripts/capabilities.mjs).
 *
 * Only a full run decides the table: `npm test` without arguments (scripts/test.mjs
 * sets WEFT_FULL_RUN=1). A focused run leaves both files alone, unless
 * WEFT_CAPABILITIES=merge, which replaces only the cells its tagged tests speak for.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Reporter, TestModule } from 'vitest/node'
import { buildCapabilities, JSON_FILE, README_FILE, renderTable, replaceSection, ROOT, type Capabilities as Caps } from '../../scripts/capabilities.mjs'

type Tested = { name: string; state: string }

export default class CapabilityReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, _errors: unknown, reason: 'passed' | 'failed' | 'interrupted'): void {
    const full = process.env.WEFT_FULL_RUN === '1'
    const merge = process.env.WEFT_CAPABILITIES === 'merge'
    if (reason === 'interrupted' || (!full && !merge)) return
    const tests: Tested[] = []
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        if (!t.name.includes('[cap ')) continue
        // Titles as written (the describe blocks name the runtime and role for people).
        tests.push({ name: t.fullName, state: t.result().state })
      }
    }
    let caps = buildCapabilities(tests)
    if (!full && existsSync(`${ROOT}/${JSON_FILE}`)) {
      const old = JSON.parse(readFileSync(`${ROOT}/${JSON_FILE}`, 'utf8')) as Caps
      for (const [runtime, cells] of Object.entries(caps.results))
        for (const [cell, v] of Object.entries(cells)) if (v.tests.length) old.results[runtime]![cell] = v
      caps = old
    }
    writeFileSync(`${ROOT}/${JSON_FILE}`, JSON.stringify(caps, null, 1) + '\n')
    const readme = readFileSync(`${ROOT}/${README_FILE}`, 'utf8')
    try {
      const next = replaceSection(readme, renderTable(caps))
      if (next !== readme) writeFileSync(`${ROOT}/${README_FILE}`, next)
      console.log(`capabilities: ${JSON_FILE} and the ${README_FILE} table written from ${tests.length} tagged tests${full ? '' : ' (merged)'}`)
    } catch (err) {
      console.error(`capabilities: ${(err as Error).message}`)
    }
  }
}
