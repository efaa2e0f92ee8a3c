/**
 * @module
 * Fetch one bundle (OPA's downloader): `GET url` with `If-None-Match` and a long-poll
 * `?wait=`, no side effects. A body over MAX_BUNDLE_BYTES is refused by its
 * `content-length` and, failing that, while it is read. `backoff` gives the delay
 * before the next try while the control plane is down: exponential, with jitter.
 *
 * @example
 * const r = await poll({ url: `${control}/v1/bundles/gateway.default.edge`, token, etag: '"3"', waitSeconds: 30 })
 * if (r.kind === 'fetched') await verifyBundle(r.jws, opts)
 */
import { MAX_BUNDLE_BYTES } from './format.js'
import { BundleFetchFailed, BundleTooLarge, type BundleError } from './errors.js'

export type PollResult =
  | { kind: 'unchanged' }
  | { kind: 'fetched'; jws: string; etag: string | undefined }
  | { kind: 'failed'; error: BundleError }

export interface PollOptions {
  url: string
  token?: string | undefined
  /** The ETag of the bundle running, sent as If-None-Match. */
  etag?: string | undefined
  /** Long-poll: the server holds the request up to this long for a newer version. */
  waitSeconds?: number
  fetch?: typeof fetch
  signal?: AbortSignal
  maxBytes?: number
  /** Give up on an answer after this long beyond the wait (default 10 s). */
  slackMs?: number
}

export async function poll(opts: PollOptions): Promise<PollResult> {
  const doFetch = opts.fetch ?? fetch
  const maxBytes = opts.maxBytes ?? MAX_BUNDLE_BYTES
  const url = new URL(opts.url)
  if (opts.waitSeconds) url.searchParams.set('wait', String(opts.waitSeconds))
  const headers: Record<string, string> = { accept: 'application/jose' }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.etag) headers['if-none-match'] = opts.etag
  const timeout = AbortSignal.timeout((opts.waitSeconds ?? 0) * 1000 + (opts.slackMs ?? 10_000))
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  let res: Response
  try {
    res = await doFetch(url, { headers, signal })
  } catch (err) {
    const why = timeout.aborted ? 'no answer in time' : (err as Error).message
    return failed(new BundleFetchFailed(`GET ${url.origin}${url.pathname}: ${why}`, { cause: err }))
  }
  if (res.status === 304) {
    await res.body?.cancel()
    return { kind: 'unchanged' }
  }
  if (res.status !== 200) {
    const text = await res.text().catch(() => '')
    return failed(new BundleFetchFailed(`GET ${url.origin}${url.pathname}: ${res.status} ${text.slice(0, 200).trim()}`))
  }
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    return failed(new BundleTooLarge(`bundle of ${declared} bytes is over the limit of ${maxBytes}`))
  }
  try {
    const body = await readLimited(res, maxBytes)
    if (body === undefined) return failed(new BundleTooLarge(`bundle is over the limit of ${maxBytes} bytes`))
    return { kind: 'fetched', jws: body, etag: res.headers.get('etag') ?? undefined }
  } catch (err) {
    return failed(new BundleFetchFailed(`GET ${url.origin}${url.pathname}: body: ${(err as Error).message}`, { cause: err }))
  }
}

function failed(error: BundleError): PollResult {
  return { kind: 'failed', error }
}

/** The body as text, or undefined as soon as it passes `max` bytes (the rest unread). */
async function readLimited(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return new TextDecoder().decode(all)
}

export interface BackoffOptions {
  baseMs?: number
  maxMs?: number
  random?: () => number
}

/** Delay before retry number `attempt` (1-based): equal jitter: between half and all of min(max, base·2^(attempt-1)). */
export function backoff(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 250
  const max = opts.maxMs ?? 30_000
  const cap = Math.min(max, base * 2 ** Math.max(0, attempt - 1))
  const r = (opts.random ?? Math.random)()
  return Math.round(cap / 2 + (r * cap) / 2)
}

/** Timers, injectable so tests run the backoff loop without waiting. */
export interface Timers {
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const realTimers: Timers = {
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, { once: true })
    }),
}
