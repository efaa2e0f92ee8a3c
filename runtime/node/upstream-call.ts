/**
 * @module
 * One request to an upstream, as an undici dispatch handler. It resolves with the
 * response head as soon as it arrives and streams the body through a plain Readable
 * with backpressure (a full buffer pauses the upstream socket). This is leaner than
 * `pool.request()`, which wraps every call in an AsyncResource, a callback-to-promise
 * closure and a BodyReadable with fetch-style mixins (see upstream-bench.ts for the
 * numbers); the handler uses undici's core (v7 "legacy") handler methods, the ones
 * its HTTP/1.1 client calls directly, so no adapter layer sits in between.
 *
 * Cancellation: the caller's AbortSignal (the call is its own listener object, no
 * closure) and the downstream response closing before the head arrived both abort
 * the undici request; after the head, aborting destroys the body.
 *
 * @example
 * const call = new UpstreamCall(endpoint, signal, limits)
 * pool.dispatch({ path, method, headers, body }, call)
 * const res = await call.promise
 */
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { parseHeaders } from './undici-pool.js'
import { BadRequest, InternalError, UpstreamConnect, UpstreamReset, UpstreamTimeout, WeftError } from '../../core/errors.js'
import type { HeaderMap, ProxyResponse } from '../../core/http/view.js'
import type { Endpoint } from '../../core/upstream/upstream.js'
import type { NodeResponse } from './respond.js'

/** The timeouts the pool enforces, for the error messages. */
export interface CallLimits {
  headersTimeout: number
  bodyTimeout: number
}

const BODY_HIGH_WATER_MARK = 64 * 1024
const kCall = Symbol('weft.upstreamCall')

export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly promise: Promise<ProxyResponse>
  private resolve!: (res: ProxyResponse) => void
  private reject!: (err: unknown) => void
  private abortUndici: ((err?: Error) => void) | null = null
  private resumeUndici: (() => void) | null = null
  private body: UpstreamBody | null = null
  /** Head delivered or promise rejected. */
  private settled = false
  /** undici is finished with the request (complete or failed). */
  done = false
  private reason: Error | null = null
  private downstream: (NodeResponse & { [kCall]?: UpstreamCall | null }) | undefined = undefined

  constructor(
    private readonly endpoint: Endpoint,
    private readonly signal: AbortSignal | undefined,
    private readonly limits: CallLimits,
  ) {
    this.promise = new Promise<ProxyResponse>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    if (signal !== undefined) signal.addEventListener('abort', this)
  }

  /** Cancel this call when `res` closes before the response head arrived. */
  watch(res: NodeResponse): void {
    const r = res as NonNullable<UpstreamCall['downstream']>
    // One module-level listener per response, pointing at its current call (retries
    // reuse it): no closure per call.
    if (r[kCall] === undefined) r.on('close', onDownstreamClose)
    r[kCall] = this
    this.downstream = r
  }

  /** EventListenerObject: the caller's signal aborted. */
  handleEvent(): void {
    const reason = this.signal!.reason
    this.cancel(reason instanceof Error ? reason : new Error(String(reason)))
  }

  cancel(reason: Error): void {
    if (this.done || this.reason !== null) return
    this.reason = reason
    if (this.abortUndici !== null) this.abortUndici(reason) // → onError
    else if (!this.settled) {
      // Not on a connection yet: fail now; onConnect will abort it when it gets there.
      this.settled = true
      this.reject(reason)
    }
  }

  resume(): void {
    this.resumeUndici?.()
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.reason !== null) abort(this.reason)
    else this.abortUndici = abort
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true // 1xx: node already told the client to continue; wait for the final head
    this.resumeUndici = resume
    this.unwatch()
    const body = new UpstreamBody(this)
    this.body = body
    this.settled = true
    // Lower-case names, repeated fields as arrays (set-cookie).
    this.resolve({ status, headers: parseHeaders(raw) as HeaderMap, body })
    return true
  }

  onData(chunk: Buffer): boolean {
    return this.body!.push(chunk)
  }

  onComplete(): void {
    this.finish()
    this.body!.push(null)
  }

  onError(err: Error): void {
    this.finish()
    const mapped = this.reason ?? mapError(err, this.endpoint, this.limits)
    if (!this.settled) {
      this.settled = true
      this.reject(mapped)
    } else if (this.body !== null && !this.body.destroyed) {
      // A body nobody listens to (a stage dropped the response) must not turn this
      // error into an uncaught exception; a later reader still sees it (`errored`).
      if (this.body.listenerCount('error') === 0) this.body.on('error', noop)
      this.body.destroy(mapped)
    }
  }

  private finish(): void {
    this.done = true
    this.unwatch()
    if (this.signal !== undefined) this.signal.removeEventListener('abort', this)
  }

  private unwatch(): void {
    const r = this.downstream
    if (r !== undefined && r[kCall] === this) r[kCall] = null
    this.downstream = undefined
  }
}

function noop(): void {}

function onDownstreamClose(this: NodeResponse & { [kCall]?: UpstreamCall | null }): void {
  const call = this[kCall]
  if (call) call.cancel(new BadRequest('the client closed the connection before the response was sent'))
}

/** The response body: pulled by its consumer, destroyed (and the upstream request aborted) if abandoned. */
class UpstreamBody extends Readable {
  constructor(private readonly call: UpstreamCall) {
    super({ highWaterMark: BODY_HIGH_WATER_MARK })
  }

  override _read(): void {
    this.call.resume()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // The consumer gave up before the end: the connection cannot be reused mid-body.
    if (!this.call.done) this.call.cancel(err ?? new Error('upstream response body destroyed before its end'))
    cb(err)
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL',
  'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED',
])

/** undici and socket errors → Weft's typed errors; the original is kept as `cause`. */
export function mapError(err: Error, endpoint: Endpoint, limits: CallLimits): Error {
  if (err instanceof WeftError) return err
  const code = (err as { code?: string }).code ?? ''
  if (CONNECT_CODES.has(code)) return new UpstreamConnect(endpoint.key, { cause: err })
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new UpstreamTimeout(limits.headersTimeout, 'backendRequest', { cause: err })
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamTimeout(limits.bodyTimeout, 'backendRequest', { cause: err })
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return new BadRequest('the request body does not match its Content-Length', { cause: err })
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
      // Something the caller passed that undici refuses (a header node accepted): a bug here, not the upstream's.
      return new InternalError(`upstream request refused by the HTTP client: ${err.message}`, { cause: err })
    default:
      // UND_ERR_SOCKET (other side closed), ECONNRESET, EPIPE, HPE_* parse errors, length mismatch...
      return new UpstreamReset(endpoint.key, { cause: err })
  }
}
