/**
 * @module
 * Signed bundles on a Worker. An isolate has no long-lived loop to long-poll from, so
 * the portable pieces of core/bundle (poll, verify, activate) run on events instead:
 *
 * - isolate start (first event): the bundle kept in KV is verified again and activated;
 * - a request: when the last check is older than the max-age (WEFT_BUNDLE_MAX_AGE,
 *   default 5 s), one refresh runs in `ctx.waitUntil` — the request is served by the
 *   snapshot it found, never delayed. A cold isolate with nothing usable in KV waits
 *   for that first refresh (bounded) and answers 503 not-ready if it fails;
 * - a Cron Trigger (`scheduled`): a refresh, so an idle Worker still picks up bundles
 *   and keeps KV fresh for the next cold start.
 *
 * A refresh is one `GET /v1/bundles/{scope}` (If-None-Match, no long-poll wait), then
 * verify (signature with the trusted JWKS, scope, expiry, newer version), activate
 * (build off to the side, one assignment) and save to KV. Any failure keeps the
 * snapshot serving; the rejection is counted, logged and reported to the control
 * plane. One refresh at a time per isolate. An expired bundle from KV is served
 * only while the control plane cannot be reached, as on Node.
 *
 * @example
 * const b = new WorkerBundles({ scope, source, build, log })
 * await b.ready(ctx)        // boots from KV / refreshes as needed
 * b.current                 // the active snapshot
 */
import type { ConfigSet } from '../../core/config/types.js'
import { activate } from '../../core/bundle/activate.js'
import { kvBundleCache } from './kv-cache.js'
import { memoryCache, type BundleCache } from '../../core/bundle/cache.js'
import { poll } from '../../core/bundle/poll.js'
import { BundleStatus, reportStatus } from '../../core/bundle/status.js'
import { bundleVerifier, type BundleVerifier, type VerifiedBundle } from '../../core/bundle/verify.js'
import { BundleError } from '../../core/bundle/errors.js'
import type { MetricsRegistry } from '../../core/metrics/registry.js'
import { keepAlive } from './context.js'
import type { Source } from './settings.js'
import type { WorkerContext } from './types.js'

/** How long a cold isolate's first request waits for the control plane (ms). */
const FIRST_FETCH_TIMEOUT_MS = 8000

export interface WorkerBundlesOptions<S> {
  scope: string
  source: Extract<Source, { kind: 'control' }>
  registry: MetricsRegistry
  build(config: ConfigSet, version: number): S | Promise<S>
  /** Called after a snapshot is put in service. */
  onActivate?(snapshot: S): void
  onReject?(err: unknown): void
  log(msg: string): void
}

export class WorkerBundles<S> {
  readonly status: BundleStatus
  current: S | undefined
  active: VerifiedBundle | undefined
  /** Milliseconds since the epoch of the last refresh attempt (0: never). */
  lastCheck = 0
  refreshes = 0
  private readonly verifier: BundleVerifier
  private readonly cache: BundleCache
  private readonly url: string
  private readonly instance = `worker-${crypto.randomUUID().slice(0, 8)}`
  private fallback: VerifiedBundle | undefined
  private refusedEtag: string | undefined
  /** Boot: not started, under way, done. */
  private booted: 'no' | 'running' | 'done' = 'no'
  private refreshing = false

  constructor(private readonly opts: WorkerBundlesOptions<S>) {
    this.status = new BundleStatus(opts.registry)
    this.verifier = bundleVerifier({ jwks: opts.source.jwks, scope: opts.scope })
    this.cache = opts.source.kv ? kvBundleCache(opts.source.kv, opts.scope) : memoryCache()
    this.url = new URL(`/v1/bundles/${encodeURIComponent(opts.scope)}`, opts.source.controlUrl).toString()
  }

  get version(): number {
    return this.active?.version ?? 0
  }

  /*
   * Why no shared promises: workerd ties I/O to the request that started it, and a
   * request awaiting a promise that another request's I/O settles can hang (seen: the
   * worker-proxy's inbound request starts a refresh, then its app calls back into the
   * Outbound entrypoint, which waited on that refresh forever). So a request never
   * awaits another request's boot or refresh: it polls the state with its own timers,
   * and starts its own work when none is under way.
   */

  /**
   * Make sure this isolate serves something: boot from KV once, then refresh — awaited
   * when nothing is active, in `ctx.waitUntil` when the last check is older than the
   * max-age. Resolves with whether a snapshot is active.
   */
  async ready(ctx: WorkerContext | undefined): Promise<boolean> {
    await this.boot()
    const stale = Date.now() - this.lastCheck >= this.opts.source.maxAgeMs
    if (this.current === undefined) {
      if (this.refreshing) await this.until(() => !this.refreshing || this.current !== undefined, FIRST_FETCH_TIMEOUT_MS)
      else if (stale) await withTimeout(this.refresh(), FIRST_FETCH_TIMEOUT_MS)
    } else if (stale && !this.refreshing) {
      const p = this.refresh()
      if (ctx) ctx.waitUntil(p)
    }
    return this.current !== undefined
  }

  /** One refresh from the control plane, started by the caller; when one is under way, wait for that one to end instead. */
  async refresh(): Promise<void> {
    if (this.refreshing) return this.until(() => !this.refreshing, FIRST_FETCH_TIMEOUT_MS + 2000)
    this.refreshing = true
    try {
      await this.refreshOnce()
    } finally {
      this.refreshing = false
    }
  }

  /** Boot, then refresh (a Cron Trigger). */
  async scheduled(): Promise<void> {
    await this.boot()
    await this.refresh()
  }

  /** Isolate start: the bundle kept in KV, verified again (once per isolate). */
  async boot(): Promise<void> {
    if (this.booted === 'done') return
    if (this.booted === 'running') return this.until(() => this.booted === 'done', FIRST_FETCH_TIMEOUT_MS)
    this.booted = 'running'
    try {
      await this.bootOnce()
    } finally {
      this.booted = 'done'
    }
  }

  /** Poll `done` with this request's own timers (bounded). */
  private async until(done: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  }

  private async bootOnce(): Promise<void> {
    let jws: string | undefined
    try {
      jws = await this.cache.load()
    } catch (err) {
      this.opts.log(`cannot read the bundle kept in KV: ${(err as Error).message}`)
    }
    if (!jws) return
    try {
      const v = await this.verifier.verify(jws, { allowExpired: true })
      if (v.kind !== 'newer') return
      if (v.expired) {
        this.fallback = v.bundle
        this.opts.log(`bundle version ${v.bundle.version} in KV is expired; served only if the control plane is unreachable`)
      } else await this.put(v.bundle, 'cache')
    } catch (err) {
      this.reject(err, 'bundle kept in KV')
    }
  }

  private async put(bundle: VerifiedBundle, source: 'control' | 'cache', expired = false): Promise<void> {
    const snapshot = await activate(bundle, {
      build: (config, version) => this.opts.build(config, version),
      commit: (s) => {
        this.current = s
      },
    })
    this.active = bundle
    this.fallback = undefined
    this.status.activated(bundle.version, source, expired)
    this.opts.onActivate?.(snapshot)
    this.opts.log(`bundle version ${bundle.version} active (from ${source === 'control' ? 'the control plane' : 'KV'}${expired ? ', EXPIRED: the control plane is unreachable' : ''})`)
    this.report()
  }

  private reject(err: unknown, what: string): void {
    this.status.rejected(err)
    this.opts.onReject?.(err)
    const code = err instanceof BundleError ? err.code : 'ERR_BUNDLE_FETCH'
    this.opts.log(`bundle rejected (${code}): ${what}: ${(err as Error).message}; still serving ${this.active ? `version ${this.active.version}` : 'nothing yet'}`)
    this.report()
  }

  private report(): void {
    const { controlUrl, token } = this.opts.source
    // Best effort, like the Node proxies; not awaited by anyone that serves a request, kept alive by the event.
    keepAlive(reportStatus({ controlUrl, scope: this.opts.scope, token, report: this.status.report(this.instance) }))
  }

  private async refreshOnce(): Promise<void> {
    this.lastCheck = Date.now()
    this.refreshes++
    const etag = this.refusedEtag ?? (this.active ? `"${this.active.version}"` : undefined)
    const r = await poll({ url: this.url, token: this.opts.source.token, etag, slackMs: FIRST_FETCH_TIMEOUT_MS })
    if (r.kind === 'failed') {
      if (r.error.code === 'ERR_BUNDLE_TOO_LARGE') this.reject(r.error, 'fetched bundle')
      else {
        this.status.fetchFailed(r.error)
        this.opts.log(`cannot fetch the bundle: ${r.error.message}; ${this.active ? `serving version ${this.active.version}` : 'nothing served yet'}`)
      }
      if (this.fallback && !this.active) {
        const f = this.fallback
        this.fallback = undefined
        await this.put(f, 'cache', true).catch((err) => this.reject(err, 'bundle kept in KV'))
      }
      return
    }
    this.status.fetched()
    if (r.kind === 'unchanged') return
    try {
      const v = await this.verifier.verify(r.jws, { activeVersion: this.active?.version })
      this.refusedEtag = undefined
      if (v.kind === 'unchanged') {
        // Same version re-signed with a later expiry: keep that copy for the next cold start.
        if (this.active && v.bundle.expiresAt > this.active.expiresAt) {
          this.active = v.bundle
          await this.cache.save(v.bundle.jws).catch(() => {})
        }
        return
      }
      await this.put(v.bundle, 'control')
      try {
        await this.cache.save(v.bundle.jws)
      } catch (err) {
        this.opts.log(`cannot keep bundle version ${v.bundle.version} in KV: ${(err as Error).message}`)
      }
    } catch (err) {
      this.refusedEtag = r.etag
      this.reject(err, `fetched bundle${r.etag ? ` ${r.etag}` : ''}`)
    }
  }

  toJSON() {
    return { version: this.version, lastCheck: this.lastCheck ? new Date(this.lastCheck).toISOString() : null, refreshes: this.refreshes, bundle: this.status.toJSON() }
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined
  return Promise.race([p, new Promise<void>((resolve) => (t = setTimeout(resolve, ms)))]).finally(() => clearTimeout(t))
}
