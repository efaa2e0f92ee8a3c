/**
 * wrangler.toml and what the tests run stay the same: the compatibility date and flags
 * the harness gives Miniflare are the deployed ones, and each environment's `main` is
 * what scripts/build-worker.mjs writes. (The file itself was checked with
 * `wrangler@4.86.0 deploy --dry-run --env gateway|worker-proxy`; wrangler is not a
 * dependency.)
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS } from '../support/workerd-target.js'

const toml = readFileSync(fileURLToPath(new URL('../../wrangler.toml', import.meta.url)), 'utf8')
const { ENTRIES } = (await import(new URL('../../scripts/build-worker.mjs', import.meta.url).href)) as { ENTRIES: Record<string, string> }

/** `key = value` lines of one [section] (top level: ''), up to the next section header. */
function section(name: string): Map<string, string> {
  const out = new Map<string, string>()
  let current = ''
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim()
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line)
    if (header) current = header[1]!
    else if (current === name) {
      const kv = /^([A-Za-z_]+)\s*=\s*(.+)$/.exec(line)
      if (kv) out.set(kv[1]!, kv[2]!)
    }
  }
  return out
}

describe('wrangler.toml', () => {
  it('deploys with the compatibility date and flags the tests run with', () => {
    const top = section('')
    expect(top.get('compatibility_date')).toBe(JSON.stringify(COMPATIBILITY_DATE))
    expect(JSON.parse(top.get('compatibility_flags')!)).toEqual(COMPATIBILITY_FLAGS)
    expect(section('build').get('command')).toBe('"node scripts/build-worker.mjs"')
  })

  it('each environment runs the file the build writes, with the bindings its Worker reads', () => {
    expect(section('env.gateway').get('main')).toBe(`"dist/worker/gateway.js"`)
    expect(section('env.worker-proxy').get('main')).toBe(`"dist/worker/worker-proxy.js"`)
    expect(Object.keys(ENTRIES).sort()).toEqual(['gateway', 'worker-proxy'])
    expect([...section('env.gateway.vars').keys()]).toEqual(expect.arrayContaining(['WEFT_CONTROL_URL', 'WEFT_GATEWAY', 'WEFT_BUNDLE_MAX_AGE']))
    expect([...section('env.worker-proxy.vars').keys()]).toEqual(expect.arrayContaining(['WEFT_CONTROL_URL', 'WEFT_SERVICE', 'WEFT_NAMESPACE']))
    expect(section('env.gateway.kv_namespaces').get('binding')).toBe('"WEFT_BUNDLES"')
    expect(section('env.worker-proxy.kv_namespaces').get('binding')).toBe('"WEFT_BUNDLES"')
    expect(section('env.worker-proxy.services').get('binding')).toBe('"APP"')
    expect(section('env.gateway.triggers').get('crons')).toBeDefined()
    expect(section('env.worker-proxy.triggers').get('crons')).toBeDefined()
    // Secrets never sit in the file.
    expect(toml).not.toMatch(/^\s*WEFT_(TOKEN|TRUST_JWKS)\s*=/m)
  })
})
