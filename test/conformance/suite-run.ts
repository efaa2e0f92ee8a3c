/**
 * @module
 * One conformance suite against real gateways: write its config file, start one
 * `weft gateway` per Gateway, each on its own loopback address (suite k's Gateways on
 * 127.0.k.1, 127.0.k.2, … in suite order, so the next suites' gateways can start while
 * this one runs), run its cases in order (preconditions, the request, then mirror /
 * distribution / invariant checks), and stop the gateways.
 *
 * @example
 * const run = new SuiteRun(suite, 3, shared)
 * await run.start()            // never throws: a start failure fails each case with its cause
 * await run.runCase(0, suite.cases[0], title)
 * await run.stop()
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Case, Environment, Precondition, Suite } from './cases.js'
import { refOf } from './cases.js'
import { GatewayClient, type Received } from './client.js'
import { checkResponse, echoHeader, expectedBackends, formatFailure, INFRA_NAMESPACE, podIsBackend } from './expect.js'
import { startGateway, type GatewayProcess } from '../support/gateway-runner.js'
import { suiteResources, writeConfig } from './suite-config.js'
import type { TlsMaterial } from './tls.js'
import type { EchoBackends, EchoRecord } from '../fakes/echo-backend.js'

export interface Shared {
  env: Environment
  echo: EchoBackends
  tls: TlsMaterial
}

/** Loopback address of the i-th Gateway of the suite in address block `block` (1..254). */
export const gatewayAddress = (block: number, i: number) => `127.0.${block}.${i + 1}`

/** Most distribution tries to make, whatever the data allows (upstream: 5 or 10), to bound the run time. */
const MAX_TRIES = 5
const MIRROR_WAIT_MS = 2000

export class SuiteRun {
  private dir?: string
  private configFile?: string
  private deleted: NonNullable<Precondition['delete']>[] = []
  readonly gateways = new Map<string, GatewayProcess>()
  readonly clients = new Map<string, GatewayClient>()
  startError?: Error
  private starting?: Promise<void>

  constructor(
    readonly suite: Suite,
    /** This suite's address block: its Gateways listen on 127.0.<block>.1, .2, … */
    readonly block: number,
    private readonly shared: () => Shared,
  ) {}

  /** Start every gateway of the suite (once; later calls wait for the same start). Never rejects: a failure is kept in `startError` for the cases to report. */
  start(): Promise<void> {
    this.starting ??= this.doStart()
    return this.starting
  }

  private async doStart(): Promise<void> {
    try {
      const { tls } = this.shared()
      this.dir = await mkdtemp(join(tmpdir(), `weft-conformance-${this.suite.name}-`))
      this.configFile = join(this.dir, 'gateway.yaml')
      await this.writeConfig()
      this.suite.gateways.forEach((g, i) => this.clients.set(refOf(g), new GatewayClient(gatewayAddress(this.block, i), tls.certPem)))
      const started = await Promise.allSettled(
        this.suite.gateways.map((g, i) => startGateway({ configFile: this.configFile!, gateway: refOf(g), address: gatewayAddress(this.block, i) })),
      )
      for (const s of started) if (s.status === 'fulfilled') this.gateways.set(s.value.gateway, s.value)
      const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n\n'))
    } catch (err) {
      this.startError = new Error(`the ${this.suite.name} gateways did not start, so this case could not run:\n${(err as Error).message}`)
    }
  }

  async stop(): Promise<void> {
    await this.starting
    for (const c of this.clients.values()) c.close()
    await Promise.all([...this.gateways.values()].map((g) => g.stop()))
    this.gateways.clear()
    if (this.dir) await rm(this.dir, { recursive: true, force: true })
  }

  private async writeConfig(): Promise<void> {
    const { env, echo, tls } = this.shared()
    await writeConfig(this.configFile!, suiteResources(this.suite, env, echo.ports, tls, this.deleted))
  }

  /** Apply a case's precondition: rewrite the config without the deleted resource, and wait until every gateway reloaded. */
  private async applyPrecondition(p: Precondition): Promise<void> {
    if (!p.delete) throw new Error(`unsupported precondition ${JSON.stringify(p)}`)
    const before = new Map<string, number>()
    for (const [ref, g] of this.gateways) before.set(ref, await g.configVersion())
    this.deleted.push(p.delete)
    await this.writeConfig()
    await Promise.all([...this.gateways].map(([ref, g]) => g.waitForVersionAbove(before.get(ref)!)))
  }

  private target(c: Case): { gw: GatewayProcess; client: GatewayClient } {
    if (this.startError) throw this.startError
    const gw = this.gateways.get(c.gateway)
    const client = this.clients.get(c.gateway)
    if (!gw || !client) throw new Error(`case targets Gateway ${c.gateway}, which the suite does not define`)
    return { gw, client }
  }

  async runCase(index: number, c: Case, title: string): Promise<void> {
    const { gw, client } = this.target(c)
    const { echo } = this.shared()
    if (c.precondition) await this.applyPrecondition(c.precondition)

    const uuid = c.request.uuidPlaceholder ? randomUUID() : undefined
    const fill = (s: string | undefined) => (s !== undefined && uuid ? s.replaceAll(c.request.uuidPlaceholder!, uuid) : s)
    const path = fill(c.request.path)!
    const expectPath = fill(c.expect.path)

    const mark = echo.requests.mark()
    const res = await client.send(c.request, path)
    const forwarded = echo.requests.since(mark)
    if (res.status === 0) await gw.waitForExit(300)
    const problems = checkResponse(c, res, { expectPath, sentHeaders: c.request.headers, forwarded })
    const fail = (ps: string[], r: Received | null = res, extra?: string): never => {
      const exited = gw.exitStatus()
      const output =
        exited !== undefined || r?.status === 0 || /5\d\d/.test(String(r?.status))
          ? `  gateway ${gw.gateway} (pid ${gw.pid}${exited !== undefined ? `, EXITED: ${exited}` : ''}) output, last lines:\n${lastLines(gw.output(), 15)}`
          : undefined
      throw new Error(formatFailure({ title, c, res: r ?? undefined, problems: ps, extra: [extra, output].filter(Boolean).join('\n') || undefined }))
    }
    if (problems.length) fail(problems)

    // Mirrors: each mirror backend receives the same request URI (the mirror's answer is discarded).
    const percentOnly = c.expect.mirrorDistribution !== undefined
    for (const m of c.expect.mirroredTo ?? []) {
      if (percentOnly && m.percent !== undefined && m.percent < 100) continue // checked statistically below
      const got = await echo.requests.waitFor((r) => r.service === m.backend && r.path === path, { since: mark, timeoutMs: MIRROR_WAIT_MS })
      if (!got) {
        const seen = echo.requests.since(mark).map((r) => `${r.service} ${r.method} ${r.path}`)
        fail([`mirror: ${m.backend} did not receive ${c.request.method} ${path} within ${MIRROR_WAIT_MS} ms (requests the backends got meanwhile: ${seen.length ? seen.join('; ') : 'none'})`])
      }
    }

    if (c.expect.invariant) await this.checkInvariant(c, path, fail)
    if (c.expect.distribution) await this.checkDistribution(c, path, fail)
    if (c.expect.mirrorDistribution) {
      await echo.requests.settle((r) => r.path === path, { since: mark, quietMs: 200, timeoutMs: 1000 })
      await this.checkMirrorDistribution(c, path, fail)
    }
  }

  /** Send `n` copies of the case's request, `concurrency` at a time. */
  private async sendMany(c: Case, path: string, n: number, concurrency: number): Promise<Received[]> {
    const { client } = this.target(c)
    const out: Received[] = []
    let next = 0
    let dead = false
    const worker = async () => {
      while (next < n && !dead) {
        next++
        const r = await client.send(c.request, path)
        out.push(r)
        if (r.status === 0) dead = true // no response at all: stop rather than wait out every request
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
    return out
  }

  /** A response that is not the 2xx echo of an expected backend, as a problem line; undefined when fine. */
  private badPrimary(c: Case, r: Received): string | undefined {
    const backends = expectedBackends(c.expect) ?? undefined
    if (r.status !== c.expect.status) return `status ${r.status || `none (${r.error})`}, expected ${c.expect.status}${r.echo ? ` (pod ${r.echo.pod})` : ''}`
    if (!r.echo) return `status ${r.status} without an echo body`
    if (backends && !backends.some((b) => podIsBackend(r.echo!.pod, b))) return `answered by pod ${r.echo.pod}, expected ${backends.join(' or ')}`
    return undefined
  }

  private async checkInvariant(c: Case, path: string, fail: (ps: string[], r?: Received | null, extra?: string) => never): Promise<void> {
    const inv = c.expect.invariant!
    const header = inv.headerEqualsServingBackend
    const results = await this.sendMany(c, path, inv.repeat, 1)
    const problems: string[] = []
    for (const [i, r] of results.entries()) {
      const bad = this.badPrimary(c, r)
      if (bad) problems.push(`request ${i + 1}/${inv.repeat}: ${bad}`)
      else if (header) {
        const got = echoHeader(r.echo!.headers, header)
        if (got.values.length !== 1 || !podIsBackend(r.echo!.pod, got.values[0]!)) {
          problems.push(`request ${i + 1}/${inv.repeat}: pod ${r.echo!.pod} got ${header}: ${got.values.length ? got.values.map((v) => JSON.stringify(v)).join(', ') : 'no such header'} (expected exactly one value naming the serving backend)`)
        }
      }
      if (problems.length >= 5) break
    }
    if (problems.length) fail([`invariant broken (${inv.description ?? `${inv.repeat} requests`}):\n${problems.join('\n')}`], results.find((r) => this.badPrimary(c, r)) ?? results[0])
  }

  private async checkDistribution(c: Case, path: string, fail: (ps: string[], r?: Received | null, extra?: string) => never): Promise<void> {
    const d = c.expect.distribution!
    const tries = Math.min(d.maxTries ?? 1, MAX_TRIES)
    const report: string[] = []
    for (let t = 1; t <= tries; t++) {
      const results = await this.sendMany(c, path, d.samples, 10)
      const broken = results.map((r) => this.badPrimary(c, r)).filter(Boolean)
      const counts = new Map<string, number>(Object.keys(d.weights).map((b) => [b, 0]))
      for (const r of results) {
        if (!r.echo) continue
        const b = Object.keys(d.weights).find((name) => podIsBackend(r.echo!.pod, name)) ?? `other (${r.echo.pod})`
        counts.set(b, (counts.get(b) ?? 0) + 1)
      }
      const problems: string[] = []
      if (broken.length) problems.push(`${broken.length} of ${d.samples} requests failed, e.g. ${broken[0]}`)
      for (const [b, n] of counts) {
        const frac = n / d.samples
        if (!(b in d.weights)) problems.push(`${n} requests went to ${b}, which is not a backendRef of the rule`)
        else if (d.weights[b] === 0 && n > 0) problems.push(`${b} has weight 0 but received ${n} requests`)
        else if (Math.abs(frac - d.expectedFractions[b]!) > d.tolerance) problems.push(`${b}: fraction ${frac.toFixed(3)} is outside ${d.expectedFractions[b]} ± ${d.tolerance}`)
      }
      const summary = [...counts].map(([b, n]) => `${b} ${n} (${(n / d.samples).toFixed(3)})`).join(', ')
      if (!problems.length) return
      report.push(`try ${t}/${tries}: ${summary}: ${problems.join('; ')}`)
      if (broken.length) break // a failed request is not a sampling accident: no point retrying
    }
    fail([`traffic split (weights ${JSON.stringify(d.weights)}, ${d.samples} requests per try) is off in every try:\n${report.join('\n')}`], null)
  }

  private async checkMirrorDistribution(c: Case, path: string, fail: (ps: string[], r?: Received | null, extra?: string) => never): Promise<void> {
    const md = c.expect.mirrorDistribution!
    const { echo } = this.shared()
    const mirrors = (c.expect.mirroredTo ?? []).map((m) => m.backend)
    const p = md.percent / 100
    const mean = md.samples * p
    const sd = Math.sqrt(md.samples * p * (1 - p))
    const lo = mean - md.toleranceStdDevs * sd
    const hi = mean + md.toleranceStdDevs * sd
    const tries = Math.min(md.maxTries ?? 1, MAX_TRIES)
    const report: string[] = []
    for (let t = 1; t <= tries; t++) {
      const mark = echo.requests.mark()
      const results = await this.sendMany(c, path, md.samples, md.concurrency)
      const broken = results.map((r) => this.badPrimary(c, r)).filter(Boolean)
      const isMirror = (r: EchoRecord) => mirrors.includes(r.service) && r.namespace === INFRA_NAMESPACE && r.path === path
      const mirrored = (await echo.requests.settle(isMirror, { since: mark, quietMs: 300, timeoutMs: 3000 })).length
      const problems: string[] = []
      if (broken.length) problems.push(`${broken.length} of ${md.samples} primary requests failed, e.g. ${broken[0]}`)
      if (mirrored < lo || mirrored > hi) problems.push(`${mirrors.join('/')} received ${mirrored} mirrored requests, expected ${lo.toFixed(1)}..${hi.toFixed(1)} (${md.percent}% of ${md.samples} ± ${md.toleranceStdDevs}σ)`)
      if (!problems.length) return
      report.push(`try ${t}/${tries}: ${problems.join('; ')}`)
      if (broken.length) break
    }
    fail([`mirror percentage ${md.percent}% is off in every try:\n${report.join('\n')}`], null)
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n')
  return lines
    .slice(-n)
    .map((l) => `    ${l}`)
    .join('\n')
}
