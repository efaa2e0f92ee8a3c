/**
 * @module
 * What each proxy instance last reported (`POST /v1/proxies/{proxy}/status`): the
 * bundle version it runs and its last error, with when it was seen. Written to
 * `DIR/proxies.json` (atomically, at most once a second), so `weft status` still lists
 * every proxy after a control-plane restart.
 *
 * @example
 * const reports = ProxyReports.open(dir)
 * reports.record('sidecar.default.api', { instance: 'api-1', version: 4 })
 * reports.list(5) // [{ proxy, instance, version: 4, inSync: false, lastSeen, … }]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from './fs-atomic.js'

export interface StatusReport {
  instance: string
  version: number
  lastError?: string
  lastErrorCode?: string
}

export interface ProxyStatus extends StatusReport {
  proxy: string
  /** RFC 3339. */
  lastSeen: string
  inSync: boolean
}

const FILE = 'proxies.json'
/** Instances not heard from for this long are forgotten. */
const FORGET_AFTER_MS = 7 * 24 * 3600 * 1000

export class ProxyReports {
  readonly #reports = new Map<string, Omit<ProxyStatus, 'inSync'>>()
  readonly #file: string | undefined
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(dir?: string) {
    this.#file = dir === undefined ? undefined : join(dir, FILE)
    if (this.#file && existsSync(this.#file)) {
      try {
        const list = JSON.parse(readFileSync(this.#file, 'utf8')) as Omit<ProxyStatus, 'inSync'>[]
        const cutoff = Date.now() - FORGET_AFTER_MS
        for (const r of list) if (Date.parse(r.lastSeen) > cutoff) this.#reports.set(`${r.proxy}\n${r.instance}`, r)
      } catch {
        // A damaged status file only loses the status list; proxies report again.
      }
    }
  }

  record(proxy: string, report: StatusReport, now = new Date()): void {
    this.#reports.set(`${proxy}\n${report.instance}`, { ...report, proxy, lastSeen: now.toISOString() })
    if (this.#file && !this.#timer) {
      this.#timer = setTimeout(() => this.flush(), 1000)
      this.#timer.unref()
    }
  }

  /** Write the reports now (also on shutdown). */
  flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#file) writeFileAtomic(this.#file, JSON.stringify([...this.#reports.values()]))
  }

  list(currentVersion: number): ProxyStatus[] {
    return [...this.#reports.values()]
      .map((r) => ({ ...r, inSync: r.version === currentVersion }))
      .sort((a, b) => a.proxy.localeCompare(b.proxy) || a.instance.localeCompare(b.instance))
  }
}

/** The report in a request body, or what is wrong with it. */
export function parseReport(body: unknown): StatusReport | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object {instance, version, lastError?, lastErrorCode?}'
  const b = body as Record<string, unknown>
  if (typeof b.instance !== 'string' || b.instance === '' || b.instance.length > 256) return 'instance must be a non-empty string (at most 256 characters)'
  if (!Number.isInteger(b.version) || (b.version as number) < 0) return 'version must be a non-negative integer (the bundle version the instance runs; 0 for none)'
  for (const k of ['lastError', 'lastErrorCode'] as const)
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') return `${k} must be a string`
  return {
    instance: b.instance,
    version: b.version as number,
    ...(typeof b.lastError === 'string' && { lastError: b.lastError.slice(0, 2000) }),
    ...(typeof b.lastErrorCode === 'string' && { lastErrorCode: b.lastErrorCode.slice(0, 200) }),
  }
}
