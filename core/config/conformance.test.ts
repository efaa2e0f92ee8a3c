/**
 * The Gateway API conformance manifests (routes, gateways, reference grants of all
 * 56 suites, converted to JSON verbatim) load without a single issue, with the
 * environment's Namespaces, and the API server's defaults end up where the
 * conventions say. This is what proves the schema takes real Gateway API YAML.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { formatIssues, loadConfig } from './load.js'

const CANDIDATES = [
  new URL('../../test/conformance/httproute-cases.json', import.meta.url),
  new URL('file:///work/shared/conformance/httproute-cases.json'),
]
const source = CANDIDATES.find((u) => existsSync(u))
if (!source) throw new Error(`httproute-cases.json not found at ${CANDIDATES.map(String).join(' or ')}`)

interface Suite {
  name: string
  gateways: unknown[]
  routes: unknown[]
  referenceGrants?: unknown[]
}
const data = JSON.parse(readFileSync(source, 'utf8')) as {
  environment: { namespaces: Record<string, { labels: Record<string, string> }> }
  suites: Suite[]
}

const namespaces = Object.entries(data.environment.namespaces).map(([name, ns]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: ns.labels } }))

function suiteYaml(s: Suite): string {
  return [...namespaces, ...s.gateways, ...s.routes, ...(s.referenceGrants ?? [])].map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
}

describe('conformance manifests', () => {
  it('Should cover all 56 suites', () => {
    expect(data.suites).toHaveLength(56)
  })

  it.each(data.suites.map((s) => [s.name, s] as const))('Should load suite %s as YAML without issues', (_name, suite) => {
    const r = loadConfig([{ name: `${suite.name}.yaml`, text: suiteYaml(suite) }])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    expect(r.config.gateways).toHaveLength(suite.gateways.length)
    expect(r.config.httpRoutes).toHaveLength(suite.routes.length)
    expect(r.config.referenceGrants).toHaveLength(suite.referenceGrants?.length ?? 0)
    expect(r.config.namespaces).toHaveLength(namespaces.length)
  })

  it('Should load every suite at once as JSON Lists, one file per suite', () => {
    const files = data.suites.map((s) => ({
      name: `${s.name}.json`,
      text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...s.gateways, ...s.routes, ...(s.referenceGrants ?? [])] }),
    }))
    // Suites reuse Gateway names (same-namespace …), so each suite is its own load.
    for (const f of files) {
      const r = loadConfig([f])
      if (!r.ok) throw new Error(formatIssues(r.issues))
    }
  })

  it('Should apply the conventions’ defaults to the matching suite', () => {
    const suite = data.suites.find((s) => s.name === 'httproute-matching')!
    const r = loadConfig([{ name: 'm.yaml', text: suiteYaml(suite) }])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    const route = r.config.httpRoutes[0]!
    const ns = route.metadata.namespace
    expect(route.spec.parentRefs[0]).toMatchObject({ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: ns })
    for (const rule of route.spec.rules) {
      expect(rule.matches.length).toBeGreaterThan(0)
      for (const m of rule.matches) {
        expect(['Exact', 'PathPrefix', 'RegularExpression']).toContain(m.path.type)
        for (const h of m.headers) expect(h.type).toBe('Exact')
      }
      for (const b of rule.backendRefs) expect(b).toMatchObject({ group: '', kind: 'Service', namespace: ns, weight: 1, filters: [] })
    }
  })

  it('Should fill timeouts in milliseconds for the timeout suites', () => {
    const suite = data.suites.find((s) => s.name === 'httproute-timeout-request')!
    const r = loadConfig([{ name: 't.yaml', text: suiteYaml(suite) }])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    const timeouts = r.config.httpRoutes.flatMap((rt) => rt.spec.rules.map((rl) => rl.timeouts)).filter(Boolean)
    expect(timeouts).toContainEqual({ request: 500 })
  })
})
