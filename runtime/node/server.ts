/**
 * @module
 * The Node listener of the data path. Plain HTTP is node:http (HTTP/1.1, keep-alive);
 * HTTPS is one node:http2 secure server with `allowHTTP1`, so HTTP/2 and HTTP/1.1
 * over TLS share a port and ALPN picks (h2 first). Requests are turned into
 * ProxyRequest views (inbound.ts), handed to `handler`, and the result written back
 * (respond.ts). Nothing a client sends can crash the process: malformed input is
 * answered by client-error.ts, a failing handler by a typed error response.
 *
 * Per request this costs one view object and one async call. There is no
 * AbortSignal by default: on Node 20 creating one costs ~3 µs and listening on it as
 * much again in a micro-benchmark, and in upstream-bench.ts a per-request signal
 * added 30-45 µs of CPU to a proxied request (~1/3 of what the proxy itself costs
 * there). Cancelling a slow upstream when the client goes away is done without it:
 * the request view is linked to the downstream response (downstream.ts) and the
 * Node upstream aborts its call when that closes before the head arrived. Pass
 * `abortSignal: true` for a real per-request signal.
 *
 * @example
 * const l = await listen({ address: '127.0.0.1', port: 0, handler: async (req) => textResponse(200, req.path) })
 * console.log(l.port)
 * await l.close()
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { constants, createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session, type ServerHttp2Stream } from 'node:http2'
import type { Server } from 'node:net'
import type { Duplex } from 'node:stream'
import type { SecureContext } from 'node:tls'
import { BadRequest, WeftError } from '../../core/errors.js'
import { textResponse, type ProxyRequest, type ProxyResponse } from '../../core/http/view.js'
import { onClientError, rejectConnect } from './client-error.js'
import { linkDownstream } from './downstream.js'
import { trackConnections, type Drainer } from './drain.js'
import { toProxyRequest } from './inbound.js'
import { writeResponse, type NodeResponse } from './respond.js'

export interface ListenOptions {
  address: string
  port: number
  /** Serve HTTPS (HTTP/2 and HTTP/1.1 over TLS). Without `cert`/`key`, a client that sends no SNI fails the handshake. */
  tls?: {
    SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void
    /** Default certificate and key (PEM), for clients without SNI or when SNICallback passes no context. */
    cert?: string | Buffer
    key?: string | Buffer
  }
  handler: (req: ProxyRequest, signal: AbortSignal | undefined) => Promise<ProxyResponse>
  /** Errors that are bugs (a handler throwing something not a WeftError, a server error). Default: console.error. */
  onError?: (err: unknown) => void
  /** Pass a real AbortSignal per request, aborted when the client goes away first. Default false (see the module notes). */
  abortSignal?: boolean
  /** How long close() waits for requests in flight before destroying connections. Default 10 s. */
  closeTimeout?: number
  /** HTTP/1.1 `CONNECT` (a sidecar's outbound tunnels); default: answer 400, CONNECT is not supported. */
  onConnect?: (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void
}

export interface Listening {
  /** The bound port (the actual one when `port` was 0). */
  port: number
  /** Stop accepting, let requests in flight finish (bounded), close idle connections. */
  close(): Promise<void>
}

/** Whole request line and headers; node's parser answers more with 431. */
const MAX_HEADER_SIZE = 16 * 1024
/** Slowloris bound: the head must arrive within this. */
const HEADERS_TIMEOUT_MS = 20_000
/** The whole request (head and body) must arrive within this; long uploads need less than 5 minutes. */
const REQUEST_TIMEOUT_MS = 300_000
/** Idle HTTP/1.1 keep-alive connections are closed after this (node's default, made explicit). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** An HTTP/2 connection without any frame for this long gets a GOAWAY (streams in flight still finish). */
const H2_IDLE_TIMEOUT_MS = 120_000

interface State {
  readonly handler: ListenOptions['handler']
  readonly onError: (err: unknown) => void
  readonly scheme: 'http' | 'https'
  readonly signals: boolean
  port: number
  drainer: Drainer
}

type NodeRequest = IncomingMessage | Http2ServerRequest

export async function listen(opts: ListenOptions): Promise<Listening> {
  const onError = opts.onError ?? defaultOnError
  const state: State = {
    handler: opts.handler,
    onError,
    scheme: opts.tls ? 'https' : 'http',
    signals: opts.abortSignal === true,
    port: opts.port,
    drainer: undefined as unknown as Drainer,
  }
  const onRequest = (req: NodeRequest, res: NodeResponse) => void serve(state, req, res)
  const server = opts.tls ? createTlsServer(opts.tls, onRequest) : createPlainServer(onRequest)
  state.drainer = trackConnections(server, opts.tls !== undefined)
  server.on('clientError', onClientError)
  server.on('connect', opts.onConnect ?? onConnectMethod)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // After listening, server errors (e.g. EMFILE on accept) are reported, not fatal.
  server.on('error', (err) => report(state, err))
  state.port = (server.address() as { port: number }).port
  const closeTimeout = opts.closeTimeout ?? 10_000
  return { port: state.port, close: () => state.drainer.drain(closeTimeout) }
}

function createPlainServer(onRequest: (req: NodeRequest, res: NodeResponse) => void): HttpServer {
  return createServer(
    {
      maxHeaderSize: MAX_HEADER_SIZE,
      // node's own check answers a bare 400; toProxyRequest's says why and sets x-weft-error.
      requireHostHeader: false,
      // Duplicates stay distinguishable (set-cookie arrays) and a second Host is detectable.
      joinDuplicateHeaders: false,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      keepAlive: true,
      noDelay: true,
    },
    onRequest,
  )
}

function createTlsServer(tls: NonNullable<ListenOptions['tls']>, onRequest: (req: NodeRequest, res: NodeResponse) => void): Server {
  const server = createSecureServer(
    {
      allowHTTP1: true,
      ALPNProtocols: ['h2', 'http/1.1'],
      SNICallback: tls.SNICallback,
      ...(tls.cert !== undefined && tls.key !== undefined ? { cert: tls.cert, key: tls.key } : {}),
    },
    onRequest,
  )
  // The HTTP/1.1 fallback reads these from the server object (createSecureServer takes no such options).
  Object.assign(server, {
    maxHeaderSize: MAX_HEADER_SIZE,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  })
  server.on('session', (session: Http2Session) => session.setTimeout(H2_IDLE_TIMEOUT_MS, closeIdleSession))
  return server
}

function closeIdleSession(this: Http2Session): void {
  this.close()
}

async function serve(s: State, req: NodeRequest, res: NodeResponse): Promise<void> {
  try {
    const pr = toProxyRequest(req, s.scheme, s.port)
    linkDownstream(pr, res)
    if (pr.body !== null && 'stream' in res) res.stream.once('finish', onH2ResponseSent)
    const r = await s.handler(pr, s.signals ? downstreamSignal(res) : undefined)
    // While draining, HTTP/1.1 responses close their connection instead of keeping it.
    if (s.drainer.closing && !('stream' in res)) res.shouldKeepAlive = false
    writeResponse(res, r)
  } catch (err) {
    sendError(s, res, err)
  }
}

/**
 * HTTP/2: a request body nobody reads any more (undici gave up on it when the upstream
 * failed mid-upload) holds the stream open once the response is complete: the client
 * stalls on flow control and the session never drains. RST_STREAM(NO_ERROR) after a
 * complete response tells it to stop sending (RFC 9113 §8.1). Checked a turn later:
 * node closes streams whose body was simply never read by itself, and closing a
 * stream from inside its own 'finish' left the session unable to close.
 * HTTP/1.1 needs nothing: node discards an unread body, or closes the connection.
 */
function onH2ResponseSent(this: ServerHttp2Stream): void {
  setImmediate(stopUnreadUpload, this)
}

function stopUnreadUpload(stream: ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed && !stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR)
}

/** The last resort: a typed error keeps its status and code, anything else is a 500 and reported. */
function sendError(s: State, res: NodeResponse, err: unknown): void {
  if (res.headersSent) {
    // Too late for a status: abort so the client cannot take a partial body for a whole one.
    res.destroy()
    return
  }
  const known = err instanceof WeftError
  if (!known) report(s, err)
  const status = known ? err.status : 500
  const code = known ? err.code : 'ERR_INTERNAL'
  // A WeftError's message is written for the client; anything else may hold internals.
  const text = known ? err.message : 'internal error in the proxy'
  try {
    writeResponse(res, textResponse(status, text + '\n', { 'x-weft-error': code }))
  } catch (e) {
    report(s, e)
    res.destroy()
  }
}

function report(s: State, err: unknown): void {
  try {
    s.onError(err)
  } catch {
    // A failing error reporter must not take the listener down with it.
  }
}

function defaultOnError(err: unknown): void {
  console.error('[weft] unexpected error in the data path:', err)
}

const kController = Symbol('weft.abortController')

/** Only with `abortSignal: true`: a signal aborted when the response closes before it was ended. */
function downstreamSignal(res: NodeResponse): AbortSignal {
  const controller = new AbortController()
  ;(res as NodeResponse & { [kController]: AbortController })[kController] = controller
  res.on('close', abortUnfinished)
  return controller.signal
}

function abortUnfinished(this: NodeResponse & { [kController]: AbortController }): void {
  if (!this.writableEnded) this[kController].abort(new BadRequest('the client closed the connection before the response was sent'))
}

/** CONNECT: HTTP/1 hands over the raw socket, HTTP/2 a request/response pair. */
function onConnectMethod(_req: NodeRequest, target: Duplex | Http2ServerResponse): void {
  if ('writeHead' in target) {
    writeResponse(target, textResponse(400, 'CONNECT is not supported on this listener\n', { 'x-weft-error': 'ERR_BAD_REQUEST' }))
  } else {
    rejectConnect(target)
  }
}

