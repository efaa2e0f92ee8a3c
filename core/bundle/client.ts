/**
 * @module
 * The bundle client a proxy runs (OPA's bundle plugin): boot from the cached
 * last-known-good bundle (verified again), then long-poll the control plane forever —
 * verify, activate, persist, report. Any failure keeps the bundle that is serving; a
 * rejection is logged with its reason, counted and reported. While the control plane
 * is down it retries with exponential backoff and jitter.
 *
 * An expired cached bundle is served only at boot and only when the control plane
 * cannot be reached (its signature and scope must still verify): a proxy restarted
 * during an outage keeps serving rather than going dark.
 *
 * @example
 * const client = bundleClient({ controlUrl, scope, token, verifier, cache, status, instance, activator, log })
 * await client.start()      // returns after the boot from cache; polling runs on
 * client.ready              // true once a verified (or cached) bundle is active
 * await client.stop()
 */
import type { Activator } from './activate.js'
import { activate } from './activate.js'
import type { BundleCache } from './cache.js'
import { BundleError } from './errors.js'
import { backoff, poll, realTimers, type BackoffOptions, type Timers } from './poll.js'
import { reportStatus, type BundleStatus } from './status.js'
import type { BundleVerifier, VerifiedBundle } from './verify.js'

export interface BundleClientOptions<S> {
  controlUrl: string
  scope: string
  token?: string | undefined
  /** Name of this proxy instance in status reports. */
  instance: string
  verifier: BundleVerifier
  cache: BundleCache
  status: BundleStatus
  activator: Activator<S>
  log: (msg: string) => void
  /** Called on each rejection, after it is counted (e.g. to mirror it in the proxy's own stats). */
  onReject?: (err: unknown) => void
  /** Long-poll wait (default 30 s). */
  waitSeconds?: number
  backoff?: BackoffOptions
  fetch?: typeof fetch
  timers?: Timers
}

export function bundleClient<S>(opts: BundleClientOptions<S>) {
  const { status, log, scope } = opts
  const timers = opts.timers ?? realTimers
  const stopping = new AbortController()
  const url = new URL(`/v1/bundles/${encodeURIComponent(scope)}`, opts.controlUrl).toString()
  let active: VerifiedBundle | undefined
  /** An expired cached bundle, to serve only if the control plane turns out to be down. */
  let fallback: VerifiedBundle | undefined
  /** The ETag of the last bundle refused: asked with If-None-Match so the same one is not fetched again. */
  let refusedEtag: string | undefined
  let failures = 0
  let loop: Promise<void> | undefined

  const report = () => {
    if (stopping.signal.aborted) return
    void reportStatus({ controlUrl: opts.controlUrl, scope, token: opts.token, report: status.report(opts.instance), ...(opts.fetch && { fetch: opts.fetch }) })
  }

  const reject = (err: unknown, what: string) => {
    status.rejected(err)
    opts.onReject?.(err)
    const code = err instanceof BundleError ? err.code : 'ERR_BUNDLE_FETCH'
    log(`bundle rejected (${code}): ${what}: ${(err as Error).message}; still serving ${active ? `version ${active.version}` : 'nothing yet'}`)
    report()
  }

  const put = async (bundle: VerifiedBundle, source: 'control' | 'cache', expired = false) => {
    await activate(bundle, opts.activator)
    active = bundle
    fallback = undefined
    status.activated(bundle.version, source, expired)
    log(`bundle version ${bundle.version} active (from ${source === 'control' ? 'the control plane' : 'the cache'}${expired ? ', EXPIRED: served only because the control plane is unreachable' : ''})`)
    report()
  }

  const boot = async () => {
    let jws: string | undefined
    try {
      jws = await opts.cache.load()
    } catch (err) {
      log(`cannot read the cached bundle: ${(err as Error).message}`)
    }
    if (!jws) return
    try {
      const v = await opts.verifier.verify(jws, { allowExpired: true })
      if (v.kind !== 'newer') return
      if (v.expired) {
        fallback = v.bundle
        log(`cached bundle version ${v.bundle.version} is expired; it will be served only if the control plane is unreachable`)
      } else await put(v.bundle, 'cache')
    } catch (err) {
      reject(err, 'cached bundle')
    }
  }

  /** Past half its lifetime, the running bundle is asked for again without If-None-Match (at most once a minute), to keep a fresh copy in the cache. */
  let lastRefresh = 0
  const needsRefresh = (b: VerifiedBundle) => {
    const now = Date.now()
    if (now < (b.issuedAt + (b.expiresAt - b.issuedAt) / 2) * 1000 || now - lastRefresh < 60_000) return false
    lastRefresh = now
    return true
  }

  const once = async () => {
    const etag = refusedEtag ?? (active && !needsRefresh(active) ? `"${active.version}"` : undefined)
    const r = await poll({ url, token: opts.token, etag, waitSeconds: opts.waitSeconds ?? 30, signal: stopping.signal, ...(opts.fetch && { fetch: opts.fetch }) })
    if (stopping.signal.aborted) return
    if (r.kind === 'failed') {
      if (r.error.code === 'ERR_BUNDLE_TOO_LARGE') {
        reject(r.error, 'fetched bundle')
        failures++
      } else {
        if (failures === 0) log(`cannot fetch the bundle: ${r.error.message}; retrying with backoff, ${active ? `serving version ${active.version}` : 'nothing served yet'}`)
        status.fetchFailed(r.error)
        failures++
      }
      if (fallback && !active) {
        const f = fallback
        fallback = undefined // tried once: a NACK is not retried on every failed poll
        await put(f, 'cache', true).catch((err) => reject(err, 'cached bundle'))
      }
      await timers.sleep(backoff(failures, opts.backoff), stopping.signal)
      return
    }
    if (failures > 0 && r.kind === 'unchanged') log('control plane reachable again')
    status.fetched()
    if (r.kind === 'unchanged') {
      failures = 0
      return
    }
    try {
      const v = await opts.verifier.verify(r.jws, { activeVersion: active?.version })
      if (v.kind === 'unchanged') {
        // Same version, maybe re-signed with a later expiry: keep that copy for the next boot.
        if (active && v.bundle.expiresAt > active.expiresAt) {
          active = v.bundle
          await opts.cache.save(v.bundle.jws).catch(() => {})
          log(`bundle version ${v.bundle.version} re-signed, now valid until ${new Date(v.bundle.expiresAt * 1000).toISOString()}`)
        }
        failures = 0
        refusedEtag = undefined
        return
      }
      await put(v.bundle, 'control')
      refusedEtag = undefined
      failures = 0
      try {
        await opts.cache.save(v.bundle.jws)
      } catch (err) {
        log(`cannot persist bundle version ${v.bundle.version}: ${(err as Error).message}`)
      }
    } catch (err) {
      reject(err, `fetched bundle${r.etag ? ` ${r.etag}` : ''}`)
      refusedEtag = r.etag
      failures++
      await timers.sleep(backoff(failures, opts.backoff), stopping.signal)
    }
  }

  return {
    status,
    get ready(): boolean {
      return active !== undefined
    },
    get active(): VerifiedBundle | undefined {
      return active
    },
    /** Boot from the cache, then start polling; resolves once the boot is done. */
    async start(): Promise<void> {
      await boot()
      loop = (async () => {
        while (!stopping.signal.aborted) {
          try {
            await once()
          } catch (err) {
            log(`bundle client: ${(err as Error).message}`)
            await timers.sleep(backoff(++failures, opts.backoff), stopping.signal)
          }
        }
      })()
    },
    /** Resolves once a bundle is active (or `ms` passed: false). */
    async waitReady(ms: number): Promise<boolean> {
      const end = Date.now() + ms
      while (!active && Date.now() < end && !stopping.signal.aborted) await timers.sleep(20)
      return active !== undefined
    },
    async stop(): Promise<void> {
      stopping.abort()
      await loop
    },
  }
}

export type BundleClient = ReturnType<typeof bundleClient>
