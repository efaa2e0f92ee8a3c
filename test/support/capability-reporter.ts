/**
 * @module
 * A vitest reporter: collects every test whose title carries `[cap RUNTIME CELL]` or
 * `[cap RUNTIME CELL unsupported]` with its result, writes docs/capabilities.json
 * (runtime × cell → works | unsupported | failing | untested, with the test names) and
 * re-renders the README capability table from it (scripts/capabilities.mjs).
 *
 * Only a full run decides the table: `npm test` without arguments (scripts/test.mjs
 * sets WEFT_FULL_RUN=1). A focused run leaves both files alone, unless
 * WEFT_CAPABILITIES=merge: then its results replace those of the same tests in the
 * JSON, the other tests' results stay, and every status is computed again.
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
    if (!full && existsSync(`${ROOT}/${JSON_FILE}`)) {
      // Merge: the results of this run replace those of the same tests; the others stay.
      const old = JSON.parse(readFileSync(`${ROOT}/${JSON_FILE}`, 'utf8')) as Caps
      const byName = new Map<string, string>()
      for (const cells of Object.values(old.results)) for (const cell of Object.values(cells)) for (const t of cell.tests) byName.set(t.name, t.state)
      for (const t of tests) byName.set(t.name, t.state)
      tests.splice(0, tests.length, ...[...byName].map(([name, state]) => ({ name, state })))
    }
    const caps = buildCapabilities(tests)
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
