/**
 * @module
 * Write a ProxyResponse to a node:http or node:http2 (compat) response. Streamed
 * bodies are copied chunk by chunk with backpressure: listeners are module-level
 * functions that find their partner stream through a symbol, so a response costs
 * no closures (what `pipe()` and `pipeline()` allocate per call).
 *
 * Failure either side ends both: the client going away destroys the upstream body
 * (which releases or closes the upstream connection), and an upstream body that
 * errors mid-stream aborts the client response (HTTP/1.1: the connection is closed
 * before the terminating chunk or the promised length; HTTP/2: RST_STREAM), so the
 * client can never mistake a truncated body for a complete one.
 *
 * @example
 * writeResponse(res, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello\n' })
 */
import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import { Readable } from 'node:stream'
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import type { HeaderMap, ProxyResponse } from '../../core/http/view.js'

export type NodeResponse = ServerResponse | Http2ServerResponse

const kRes = Symbol('weft.downstream')
const kBody = Symbol('weft.upstreamBody')
type Linked = { [kRes]: NodeResponse; [kBody]: Readable }

/**
 * Send `r` on `res`. Hop-by-hop fields are cleared from `r.headers` (HTTP/2 forbids
 * them); arrays (set-cookie) stay one field line per value. A string or byte body
 * gets an exact Content-Length. Throws only if node rejects the head (an invalid
 * header value); the streamed body, if any, has been destroyed by then.
 */
export function writeResponse(res: NodeResponse, r: ProxyResponse): void {
  const headers = r.headers
  let body = r.body
  if (body !== null && body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array) && !isWebStream(body)) {
    body = toReadable(body)
  }
  if (isClosed(res)) {
    // The client is gone (its 'close' has fired and will not fire again): nothing to
    // send, but the upstream body must still be released.
    release(body)
    return
  }
  try {
    stripHopByHop(headers)
    if (typeof body === 'string' || body instanceof Uint8Array) {
      headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
    } else if ((body === null || body === undefined) && headers['content-length'] === undefined && mayHaveBody(r.status)) {
      // Without a length node would frame an empty HTTP/1.1 body as chunked.
      headers['content-length'] = '0'
    }
    ;(res as ServerResponse).writeHead(r.status, fieldList(headers))
  } catch (err) {
    release(body)
    throw err
  }
  if (body === null || body === undefined) res.end()
  else if (typeof body === 'string' || body instanceof Uint8Array) (res as ServerResponse).end(body)
  else if (body instanceof Readable) pipeBody(body, res)
  else pumpWeb(body as ReadableStream<Uint8Array>, res)
}

/** Let go of a body that will not be sent (its upstream connection is freed). */
function release(body: unknown): void {
  if (body instanceof Readable) body.destroy()
  else if (isWebStream(body)) body.cancel().catch(noop)
}

function noop(): void {}

function isWebStream(b: unknown): b is ReadableStream<Uint8Array> {
  return typeof (b as { getReader?: unknown } | null)?.getReader === 'function'
}

/**
 * A Web ReadableStream body (a Bun or Deno fetch upstream under their node:http
 * compatibility: a sidecar's outbound, Bun's HTTPS listeners) read with its own reader
 * and written chunk by chunk, waiting for 'drain' when the client is slow. Not
 * `Readable.fromWeb`: under Bun that allocates a large buffer per body (bench/PROFILE.md,
 * the Bun sidecar: `alloc` in native-readable took 15 µs of a request's 77).
 */
function pumpWeb(body: ReadableStream<Uint8Array>, res: NodeResponse): void {
  const reader = body.getReader()
  let finished = false
  res.once('close', () => {
    if (!finished) reader.cancel().catch(noop)
  })
  const step = (): void => {
    reader.read().then(
      ({ done, value }) => {
        if (done) {
          finished = true
          res.end()
        } else if (!isClosed(res)) {
          if ((res as ServerResponse).write(value)) step()
          else res.once('drain', step)
        }
      },
      (err: unknown) => {
        finished = true
        // Abort, never end: ending would turn a truncated body into a valid-looking one.
        res.destroy(err instanceof Error ? err : new Error(String(err)))
      },
    )
  }
  step()
}


/**
 * The map as node's flat `[name, value, ...]` list, leaving out absent (undefined)
 * entries, which node's writers reject. One pass and one array: cheaper than deleting
 * them from the map (see hop-by-hop.ts). Arrays stay one field line per value.
 */
function fieldList(headers: HeaderMap): (string | string[])[] {
  const list: (string | string[])[] = []
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) list.push(name, value)
  }
  return list
}

function pipeBody(body: Readable, res: NodeResponse): void {
  if (body.destroyed) {
    // It failed between the response head and now; its 'error' was already emitted.
    res.destroy(body.errored ?? new Error('upstream body closed before it was read'))
    return
  }
  const b = body as Readable & Linked
  const r = res as NodeResponse & Linked
  b[kRes] = res
  r[kBody] = body
  b.on('data', onBodyData)
  b.on('end', onBodyEnd)
  b.on('error', onBodyError)
  r.on('drain', onResDrain)
  r.on('close', onResClose)
}

function onBodyData(this: Readable & Linked, chunk: Buffer): void {
  if (!(this[kRes] as ServerResponse).write(chunk)) this.pause()
}

function onResDrain(this: NodeResponse & Linked): void {
  this[kBody].resume()
}

function onBodyEnd(this: Readable & Linked): void {
  this[kRes].end()
}

function onBodyError(this: Readable & Linked, err: Error): void {
  // Abort, never end: ending would turn a truncated body into a valid-looking one.
  this[kRes].destroy(err)
}

function onResClose(this: NodeResponse & Linked): void {
  const body = this[kBody]
  if (!body.readableEnded) body.destroy()
}

/** True once the downstream connection or stream has closed. */
function isClosed(res: NodeResponse): boolean {
  if ('stream' in res) return res.stream.destroyed || res.stream.closed
  // node sets `destroyed` on a ServerResponse when its socket closes before it finished.
  return res.destroyed
}

function mayHaveBody(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304
}

/** Node Readables pass through; anything else (but a Web stream, handled apart) is not a body. */
function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body
  throw new TypeError('response body must be null, a string, a Uint8Array, a node Readable or a ReadableStream')
}
