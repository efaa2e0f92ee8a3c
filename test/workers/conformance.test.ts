/**
 * Gateway API HTTPRoute conformance (test/conformance/httproute-cases.json) with the
 * gateway as a Cloudflare Worker under Miniflare, for the cases a Worker can serve.
 *
 * A Worker is ONE listener without TLS: each Gateway port a suite's cases use is
 * served by its own gateway Worker (WEFT_LISTENER = that port), as one would deploy one
 * Worker per port on Cloudflare. Per suite, one Miniflare (one workerd process) runs
 * those Workers, each on its own socket; the suite's config (the same documents the
 * Node conformance writes, test/conformance/suite-config.ts) is given inline as
 * WEFT_CONFIG — the bundle path (sign, poll, verify, KV) is covered by the other
 * Workers tests; here the routing is under test. A precondition (a resource deleted)
 * is a new WEFT_CONFIG (Miniflare setOptions). Requests go to the Worker's socket with
 * the case's own Host (the manifests' ports stay what the Gateway matches on), driven
 * by the same SuiteRun as the Node conformance (checks, mirrors, splits).
 *
 * Skipped, with the reason in the title: cases over TLS (https: Cloudflare terminates
 * TLS, a Worker cannot) and over HTTP/2 (the same). Cases whose backend must see the
 * client's Host are run and assert the documented workerd behaviour instead: workerd's
 * fetch sends the endpoint's authority as Host (docs/workers.md).
 *
 * Runs anywhere (no privileged ports): `npx vitest run test/workers/conformance.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Miniflare, Log, LogLevel } from 'miniflare'
import { DEFERRED_SUITES, loadCases, refOf, type Case, type CaseRequest, type Suite } from '../conformance/cases.js'
import { GatewayClient, type Received } from '../conformance/client.js'
import { SuiteRun, type Shared } from '../conformance/suite-run.js'
import { suiteResources, toYaml, writeConfig } from '../conformance/suite-config.js'
import { selfSignedCertificate } from '../conformance/tls.js'
import { startEchoBackends } from '../fakes/echo-backend.js'
import type { GatewayProcess } from '../support/gateway-runner.js'
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, workerCode } from '../support/workerd-target.js'

const data = loadCases()

/** Why a case does not apply to a Worker, or undefined. */
function skipReason(c: Case): string | undefined {
  if (c.request.scheme === 'https') return 'needs TLS termination (Cloudflare terminates TLS in front of a Worker)'
  if (c.request.protocol === 'HTTP/2') return 'needs HTTP/2 (terminated by Cloudflare in front of a Worker)'
  return undefined
}
const casePort = (r: CaseRequest) => r.port ?? (r.scheme === 'https' ? 443 : 80)

/** A GatewayClient that sends to the Worker serving the case's port, with the Host the case would have carried. */
class WorkerClient extends GatewayClient {
  constructor(
    address: string,
    ca: string,
    private readonly sockets: Map<number, number>,
  ) {
    super(address, ca)
  }
  override send(req: CaseRequest, path = req.path, extra: Record<string, string> = {}): Promise<Received> {
    const port = casePort(req)
    const socket = this.sockets.get(port)
    if (socket === undefined) throw new Error(`no Worker serves port ${port} of this Gateway`)
    return super.send({ ...req, port: socket, host: req.host ?? this.defaultHost(req.scheme ?? 'http', port) }, path, extra)
  }
}

/** One suite's Workers: a Miniflare with a gateway Worker per (Gateway, port) the cases use. */
class WorkerSuiteRun extends SuiteRun {
  private mf?: Miniflare
  private tmp?: string
  private applied = ''
  private version = 1
  private out = ''
  private workers: { name: string; gateway: string; port: number }[] = []

  override start(): Promise<void> {
    const self = this as unknown as { starting?: Promise<void> }
    self.starting ??= this.startWorkers()
    return self.starting
  }

  private options(configText: string, code: string) {
    return {
      host: '127.0.0.1',
      log: new Log(LogLevel.WARN),
      cf: false,
      handleRuntimeStdio: (o: NodeJS.ReadableStream, e: NodeJS.ReadableStream) => {
        o.on('data', (b: Buffer | string) => (this.out += b.toString()))
        e.on('data', (b: Buffer | string) => (this.out += b.toString()))
      },
      workers: this.workers.map((w) => ({
        name: w.name,
        modules: true,
        script: code,
        compatibilityDate: COMPATIBILITY_DATE,
        compatibilityFlags: COMPATIBILITY_FLAGS,
        bindings: { WEFT_CONFIG: configText, WEFT_GATEWAY: w.gateway, WEFT_LISTENER: String(w.port) },
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      })),
    } as ConstructorParameters<typeof Miniflare>[0]
  }

  private async startWorkers(): Promise<void> {
    const self = this as unknown as { startError?: Error; configFile?: string; dir?: string; shared: () => Shared; deleted: [] }
    try {
      const shared = self.shared()
      this.tmp = await mkdtemp(join(tmpdir(), `weft-workers-conformance-${this.suite.name}-`))
      self.configFile = join(this.tmp, 'gateway.yaml')
      const text = toYaml(suiteResources(this.suite, shared.env, shared.echo.ports, shared.tls))
      await writeConfig(self.configFile, suiteResources(this.suite, shared.env, shared.echo.ports, shared.tls))
      const ports = new Map<string, Set<number>>()
      for (const g of this.suite.gateways) ports.set(refOf(g), new Set())
      for (const c of this.suite.cases) if (!skipReason(c)) ports.get(c.gateway)?.add(casePort(c.request))
      for (const g of this.suite.gateways) {
        // Status-only suites: the Worker of the first HTTP listener (else of the first listener: it then serves nothing).
        const first = g.spec.listeners.find((l) => l.protocol === 'HTTP') ?? g.spec.listeners[0]
        if (ports.get(refOf(g))!.size === 0 && first) ports.get(refOf(g))!.add(first.port)
      }
      this.workers = [...ports].flatMap(([gateway, ps], i) => [...ps].map((port) => ({ name: `gw${i}-${port}`, gateway, port })))
      const code = (await workerCode()).gateway!
      this.applied = text
      this.mf = new Miniflare(this.options(text, code))
      await this.mf.ready
      for (const [gi, g] of this.suite.gateways.entries()) {
        const ref = refOf(g)
        const sockets = new Map<number, number>()
        for (const w of this.workers.filter((x) => x.gateway === ref)) sockets.set(w.port, Number((await this.mf.unsafeGetDirectURL(w.name)).port))
        this.clients.set(ref, new WorkerClient('127.0.0.1', shared.tls.certPem, sockets))
        this.gateways.set(ref, this.adapter(ref, gi, code))
      }
      await this.warm()
    } catch (err) {
      self.startError = new Error(`the ${this.suite.name} Workers did not start, so this case could not run:\n${(err as Error).message}\n${this.out}`)
    }
  }

  /** One request to every Worker: the isolate loads, WEFT_CONFIG is compiled, before a case with a 500 ms budget runs. */
  private async warm(): Promise<void> {
    for (const w of this.workers) {
      const u = await this.mf!.unsafeGetDirectURL(w.name)
      await (await fetch(new URL('/.weft-warm-up', u), { headers: { 'x-warm-up': '1' } })).arrayBuffer()
    }
  }

  /** What SuiteRun expects of a gateway process; a new config (precondition) is applied with setOptions. */
  private adapter(ref: string, index: number, code: string): GatewayProcess {
    const self = this as unknown as { configFile: string }
    return {
      gateway: ref,
      address: '127.0.0.1',
      adminPort: 0,
      pid: 0,
      command: `miniflare: gateway Worker ${ref} (#${index})`,
      output: () => this.out,
      exitStatus: () => undefined,
      waitForExit: async () => {},
      configVersion: async () => this.version,
      waitForVersionAbove: async (v: number) => {
        const text = await readFile(self.configFile, 'utf8')
        if (text !== this.applied) {
          this.applied = text
          await this.mf!.setOptions(this.options(text, code))
          await this.warm()
          this.version++
        }
        return Math.max(this.version, v + 1)
      },
      stop: async () => {},
    }
  }

  override async stop(): Promise<void> {
    await (this as unknown as { starting?: Promise<void> }).starting // never start a suite just to stop it
    for (const c of this.clients.values()) c.close()
    await this.mf?.dispose()
    this.mf = undefined
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true })
  }
}

let shared: Shared | undefined
const getShared = (): Shared => {
  if (!shared) throw new Error('the conformance environment (echo backends, TLS certificate) failed to start')
  return shared
}
beforeAll(async () => {
  const backends = Object.keys(data.environment.services).map((k) => {
    const [namespace, name] = k.split('/') as [string, string]
    return { namespace, name }
  })
  const [echo, tls] = await Promise.all([startEchoBackends(backends), selfSignedCertificate(['example.org'])])
  shared = { env: data.environment, echo, tls }
})
afterAll(async () => {
  await shared?.echo.close()
})

/** The case as a Worker serves it: a Host the backend must see is the endpoint's (workerd sets Host from the URL). */
function asOnWorkers(c: Case): { c: Case; hostNote: string | undefined } {
  if (c.expect.host === undefined) return { c, hostNote: undefined }
  const { host: _host, ...expect } = c.expect
  return { c: { ...c, expect }, hostNote: c.expect.host }
}

const counts = { run: 0, skipped: 0 }
const runs = data.suites.filter((s) => !DEFERRED_SUITES.has(s.name)).map((s, k) => new WorkerSuiteRun(s, k + 1, getShared))
afterAll(() => {
  console.log(`workerd conformance: ${counts.run} cases run, ${counts.skipped} not applicable (TLS / HTTP/2 termination), ${DEFERRED_SUITES.size} suites deferred as on every runtime`)
})

// Suites run one at a time, without starting the next suite's Workers meanwhile: on a
// 2-core machine a workerd starting next to the timeout cases (500 ms budgets) made them flaky.
afterAll(() => Promise.all(runs.map((r) => r.stop())))

for (const run of runs) {
  const suite: Suite = run.suite
  describe(`workerd ${suite.name}`, () => {
    beforeAll(() => run.start(), 60_000)
    afterAll(() => run.stop())
    if (suite.statusOnly) {
      it(`${suite.name}: the config loads and the Workers start`, () => {
        if (run.startError) throw run.startError
      })
      // As in the Node conformance: a route that is not accepted serves nothing (GET / → 404).
      for (const a of suite.attachment ?? []) {
        const gw = suite.gateways.find((g) => refOf(g) === a.parent)
        const http = gw?.spec.listeners.find((l) => l.protocol === 'HTTP')
        if (a.accepted || !http) continue
        const c: Case = {
          gateway: a.parent,
          request: { host: null, method: 'GET', path: '/', ...(http.port !== 80 ? { port: http.port } : {}) },
          expect: { status: 404, backend: null, statusOrigin: 'gateway' },
        }
        counts.run++
        it(`${suite.name}: route ${a.route} is not attached (${a.reason}): GET / → 404`, () => run.runCase(0, c, `${suite.name} unattached route ${a.route}`))
      }
      return
    }
    // Cases that need TLS or HTTP/2 terminated by the proxy do not apply to a Worker
    // (Cloudflare terminates both in front of it; test/workers/unsupported.test.ts
    // asserts the Worker refuses them). They are listed, not skipped: one test per suite
    // checks that exactly those cases were set aside, each for its reason.
    const notApplicable = suite.cases.flatMap((raw, i) => (skipReason(raw) ? [{ i, raw, why: skipReason(raw)! }] : []))
    if (notApplicable.length > 0) {
      counts.skipped += notApplicable.length
      it(`${suite.name}: ${notApplicable.length} case(s) need TLS or HTTP/2 termination, done by Cloudflare in front of a Worker: not applicable on workerd (#${notApplicable.map((n) => n.i).join(', #')})`, () => {
        for (const { raw, why } of notApplicable) {
          const port = casePort(raw.request)
          const listener = suite.gateways.find((g) => refOf(g) === raw.gateway)?.spec.listeners.find((l) => l.port === port)
          if (raw.request.scheme === 'https') expect({ why, protocol: listener?.protocol }).toEqual({ why: expect.stringMatching(/TLS/), protocol: 'HTTPS' })
          else expect({ why, protocol: raw.request.protocol }).toEqual({ why: expect.stringMatching(/HTTP\/2/), protocol: 'HTTP/2' })
        }
      })
    }
    suite.cases.forEach((raw, i) => {
      if (skipReason(raw)) return
      const title = `${suite.name} #${i} ${raw.request.method} ${raw.request.host ?? '(gateway address)'}${raw.request.path}${raw.name ? ` ${raw.name}` : ''}`
      counts.run++
      const { c, hostNote } = asOnWorkers(raw)
      it(hostNote === undefined ? title : `${title} (workerd: the backend sees the endpoint as Host, not ${hostNote})`, async () => {
        await run.runCase(i, c, title)
        if (hostNote !== undefined && c.expect.backend !== null && c.expect.status < 300) {
          // The documented difference: workerd's fetch sends the endpoint's authority as Host.
          const echoed = await run.clients.get(c.gateway)!.send(c.request, c.request.path)
          if (echoed.echo) expect(echoed.echo.host).toMatch(/^127\.0\.0\.1:\d+$/)
        }
      }, 60_000)
    })
  })
}
