/**
 * Gateway API HTTPRoute conformance, data-driven: every case of httproute-cases.json
 * (kubernetes-sigs/gateway-api conformance suites as data, see
 * ../shared/conformance/NOTES.md) sent to real `weft gateway` processes.
 *
 * Per suite: one config file (the environment's Namespaces, the TLS Secret, a Service
 * per echo backend, then the suite's Gateways, HTTPRoutes and ReferenceGrants
 * verbatim), one gateway process per Gateway, each on its own loopback address
 * (127.0.k.1, 127.0.k.2, … for the k-th suite) with the manifests' own ports (80, 443,
 * 8080, 8090), and one `it` per case, in order. Suites run one at a time; the next
 * suites' gateways start while one runs.
 * Status-only suites (no traffic) check that the config loads and the gateway starts,
 * and that the route they declare unattached serves nothing.
 *
 * Runs only inside the private network namespace `npm test` creates
 * (scripts/test.mjs): `npm test -- test/conformance`.
 *
 * DEFERRED (no tests generated, see DEFERRED_SUITES in cases.ts):
 *   httproute-cors                     the CORS filter
 *   httproute-retry                    retries
 *   httproute-retry-with-timeouts      retries with timeouts
 *   httproute-retry-connection-error   retries on connection errors
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { CASES_FILE, DEFERRED_SUITES, SHARED_CASES_FILE, loadCases, refOf, type Case, type Suite } from './cases.js'
import { gatewayAddress, SuiteRun, type Shared } from './suite-run.js'
import { selfSignedCertificate } from './tls.js'
import { startEchoBackends } from '../fakes/echo-backend.js'
import { TEST_RUNTIME } from '../support/gateway-runner.js'

const data = loadCases()
/** How many later suites start their gateways while one suite runs. */
const PREFETCH = 2
const inNetns = process.env.WEFT_TEST_NETNS === '1'

/** Every hostname an https case or HTTPS listener uses goes into the certificate. */
function tlsNames(suites: Suite[]): string[] {
  const names = new Set(['example.org', '*.example.org', 'second-example.org', '*.wildcard.org', 'fourth-example.wildcard.org'])
  for (const s of suites) {
    for (const g of s.gateways) {
      for (const l of g.spec.listeners) {
        if (l.protocol === 'HTTPS' && l.hostname) names.add(l.hostname)
      }
    }
    for (const c of s.cases) {
      if (c.request.scheme !== 'https') continue
      if (c.request.sni) names.add(c.request.sni)
      if (c.request.host) names.add(c.request.host.replace(/:\d+$/, ''))
    }
  }
  return [...names]
}

function caseTitle(s: Suite, block: number, i: number, c: Case): string {
  const gwIndex = s.gateways.findIndex((g) => refOf(g) === c.gateway)
  const scheme = c.request.scheme ?? 'http'
  const port = c.request.port ?? (scheme === 'https' ? 443 : 80)
  const host = c.request.host ?? (port === (scheme === 'https' ? 443 : 80) ? gatewayAddress(block, gwIndex) : `${gatewayAddress(block, gwIndex)}:${port}`)
  const extras = [
    scheme === 'https' ? 'https' : undefined,
    c.request.protocol === 'HTTP/2' ? 'h2' : undefined,
    c.request.sni !== undefined && c.request.sni !== c.request.host ? `sni ${c.request.sni}` : undefined,
    c.request.host !== null && port !== (scheme === 'https' ? 443 : 80) && !c.request.host.endsWith(`:${port}`) ? `port ${port}` : undefined,
    c.name,
  ].filter(Boolean)
  // Capability evidence for the README table (test/support/capability-reporter.ts): an
  // https case proves TLS termination, an h2 case HTTP/2, on the runtime under test.
  const caps = [scheme === 'https' && `[cap ${TEST_RUNTIME} tls]`, c.request.protocol === 'HTTP/2' && `[cap ${TEST_RUNTIME} http2]`].filter(Boolean)
  return `${s.name} #${i} ${c.request.method} ${host}${c.request.path}${extras.length ? ` (${extras.join(', ')})` : ''}${caps.length ? ` ${caps.join(' ')}` : ''}`
}

if (!inNetns) {
  describe('httproute conformance', () => {
    it('runs only inside the private network namespace of `npm test`', () => {
      throw new Error(
        'The conformance test binds ports 80, 443, 8080 and 8090 on 127.0.x.y and must run in its own network namespace.\n' +
          'Run it with `npm test -- test/conformance` (root, or unprivileged user namespaces), which sets WEFT_TEST_NETNS=1 inside `unshare --net`.\n' +
          'If you made the namespace yourself (e.g. `ip netns exec`), set WEFT_TEST_NETNS=1.',
      )
    })
  })
} else {
  let shared: Shared | undefined
  const getShared = (): Shared => {
    if (!shared) throw new Error('the conformance environment (echo backends, TLS certificate) failed to start; see the beforeAll error')
    return shared
  }

  beforeAll(async () => {
    const backends = Object.keys(data.environment.services).map((k) => {
      const [namespace, name] = k.split('/') as [string, string]
      return { namespace, name }
    })
    const [echo, tls] = await Promise.all([startEchoBackends(backends), selfSignedCertificate(tlsNames(data.suites))])
    shared = { env: data.environment, echo, tls }
  })
  afterAll(async () => {
    await shared?.echo.close()
  })

  describe('httproute conformance data', () => {
    it.skipIf(!existsSync(SHARED_CASES_FILE))('test/conformance/httproute-cases.json is the same as ../shared/conformance/httproute-cases.json', () => {
      const same = readFileSync(CASES_FILE, 'utf8') === readFileSync(SHARED_CASES_FILE, 'utf8')
      expect(same, `the vendored copy is stale: cp ${SHARED_CASES_FILE} ${CASES_FILE}`).toBe(true)
    })
  })

  // Deferred suites are listed as todo items (visible in the summary), never run or faked.
  describe(`deferred by the issue, no tests generated: ${[...DEFERRED_SUITES.keys()].join(', ')}`, () => {
    for (const [name, why] of DEFERRED_SUITES) {
      const n = data.suites.find((s) => s.name === name)?.cases.length ?? 0
      it.todo(`${name} (${n} cases): ${why}`)
    }
  })

  // Suites run one after the other; while one runs, the gateways of the next
  // PREFETCH suites start (each suite has its own addresses), which hides most of the
  // gateways' start-up time.
  const runs = data.suites.filter((s) => !DEFERRED_SUITES.has(s.name)).map((s, k) => new SuiteRun(s, k + 1, getShared))
  const startWithNext = (k: number) => {
    for (const next of runs.slice(k + 1, k + 1 + PREFETCH)) void next.start()
    return runs[k]!.start()
  }
  afterAll(() => Promise.all(runs.map((r) => r.stop()))) // also those a -t filter skipped after prefetching

  for (const [k, run] of runs.entries()) {
    const suite = run.suite

    if (suite.statusOnly) {
      describe(`${suite.name} (status only, no traffic upstream)`, () => {
        beforeAll(() => startWithNext(k))
        afterAll(() => run.stop())
        it(`${suite.name}: the config loads and every gateway starts`, () => {
          if (run.startError) throw run.startError
        })
        // Derived from the suite's attachment data: a route that is not accepted serves
        // nothing, so GET / (which it would match if attached) gets 404 from the gateway.
        for (const a of suite.attachment ?? []) {
          const gw = suite.gateways.find((g) => refOf(g) === a.parent)
          const listeners = gw?.spec.listeners ?? []
          const http = listeners.find((l) => l.protocol === 'HTTP')
          if (a.accepted || !http) continue
          const c: Case = {
            gateway: a.parent,
            request: { host: null, method: 'GET', path: '/', ...(http.port !== 80 ? { port: http.port } : {}) },
            expect: { status: 404, backend: null, statusOrigin: 'gateway' },
          }
          it(`${suite.name}: route ${a.route} is not attached (${a.reason}): GET / → 404`, () => run.runCase(0, c, `${suite.name} unattached route ${a.route}`))
        }
      })
      continue
    }

    describe(suite.name, () => {
      beforeAll(() => startWithNext(k))
      afterAll(() => run.stop())
      suite.cases.forEach((c, i) => {
        const title = caseTitle(suite, run.block, i, c)
        it(title, () => run.runCase(i, c, title))
      })
    })
  }
}
