/**
 * The portable core imports nothing runtime-specific: no `node:` modules (its
 * tsconfig has no Node types, so they would not compile either) and nothing from the
 * adapters or applications built on it.
 */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return sources(p)
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : []
  })
}

describe('portable core', () => {
  const files = sources(join(root, 'core'))

  it('Should have sources to check', () => {
    expect(files.length).toBeGreaterThan(20)
  })

  it('Should import no runtime module and nothing outside core/', () => {
    const bad: string[] = []
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!
        const outside = spec.startsWith('.') && !join(f, '..', spec).startsWith(join(root, 'core'))
        if (spec.startsWith('node:') || outside || ['fs', 'http', 'net', 'tls', 'undici'].includes(spec)) bad.push(`${relative(root, f)}: ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })
})
