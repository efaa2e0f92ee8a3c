/**
 * @module
 * What a proxy knows about its bundles (OPA's status plugin, an xDS ACK/NACK): when it
 * last fetched and activated, the active version, the last error, counters. Exposed
 * in the admin `/stats`, counted in `/metrics`, and reported to the control plane with
 * `POST /v1/proxies/{scope}/status` after each activation or rejection (best effort).
 *
 * @example
 * const status = new BundleStatus(registry)
 * status.activated(4); status.rejected(new BundleRollback('…'))
 * await reportStatus({ controlUrl, scope, token, instance: 'gw-1', status })
 */
import type { MetricsRegistry } from '../metrics/registry.js'
import { bundleErrorCode, type AnyBundleError } from './errors.js'

export interface StatusReport {
  instance: string
  version: number
  lastError?: string
  lastErrorCode?: string
}

export class BundleStatus {
  lastFetch: string | undefined
  lastActivation: string | undefined
  activeVersion: number | undefined
  /** Where the active bundle came from. */
  source: 'control' | 'cache' | undefined
  /** True while the active bundle is expired (a cached one, served with the control plane down). */
  activeExpired = false
  lastError: { code: AnyBundleError['code']; message: string; at: string } | undefined
  activations = 0
  rejections = 0
  fetchFailures = 0
  readonly #activations
  readonly #rejections
  readonly #fetchFailures
  readonly #version

  constructor(registry: MetricsRegistry) {
    this.#activations = registry.counter('weft_bundle_activations_total', 'Verified bundles activated.', []).labels()
    this.#rejections = registry.counter('weft_bundle_rejections_total', 'Bundles refused (the last-known-good kept serving), by error code.', ['code'])
    this.#fetchFailures = registry.counter('weft_bundle_fetch_failures_total', 'Polls of the control plane that failed (unreachable, or an error status).', []).labels()
    this.#version = registry.gauge('weft_bundle_version', 'Version of the active bundle.', []).labels()
  }

  fetched(): void {
    this.lastFetch = new Date().toISOString()
  }

  fetchFailed(err: unknown): void {
    this.fetchFailures++
    this.#fetchFailures.inc()
    this.lastError = { code: bundleErrorCode(err), message: (err as Error).message, at: new Date().toISOString() }
  }

  activated(version: number, source: 'control' | 'cache', expired = false): void {
    this.activations++
    this.#activations.inc()
    this.#version.set(version)
    this.activeVersion = version
    this.source = source
    this.activeExpired = expired
    this.lastActivation = new Date().toISOString()
    this.lastError = undefined
  }

  rejected(err: unknown): void {
    const code = bundleErrorCode(err)
    this.rejections++
    this.#rejections.labels(code).inc()
    this.lastError = { code, message: (err as Error).message, at: new Date().toISOString() }
  }

  /** For `/stats`. */
  toJSON() {
    return {
      activeVersion: this.activeVersion ?? null,
      source: this.source ?? null,
      activeExpired: this.activeExpired,
      lastFetch: this.lastFetch ?? null,
      lastActivation: this.lastActivation ?? null,
      lastError: this.lastError ?? null,
      activations: this.activations,
      rejections: this.rejections,
      fetchFailures: this.fetchFailures,
    }
  }

  report(instance: string): StatusReport {
    return {
      instance,
      version: this.activeVersion ?? 0,
      ...(this.lastError && { lastError: this.lastError.message, lastErrorCode: this.lastError.code }),
    }
  }
}

/** POST the status to the control plane; never throws (a report is best effort). */
export async function reportStatus(opts: {
  controlUrl: string
  scope: string
  token?: string | undefined
  report: StatusReport
  fetch?: typeof fetch
}): Promise<boolean> {
  const url = new URL(`/v1/proxies/${encodeURIComponent(opts.scope)}/status`, opts.controlUrl)
  try {
    const res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.token && { authorization: `Bearer ${opts.token}` }) },
      body: JSON.stringify(opts.report),
      signal: AbortSignal.timeout(5000),
    })
    await res.body?.cancel()
    return res.ok
  } catch {
    return false
  }
}
