/**
 * @module
 * A byte budget per HTTP/2 session on Deno's node:http2, which keeps a Deno 2.9 crash
 * out of reach: once a session has carried about 32 MiB of DATA (either way, one
 * stream or many), the process dies when the session ends (`free(): invalid pointer`,
 * or nghttp2's `find_stream_on_goaway_func: Assertion stream->closed_next == NULL
 * failed`), taking every listener with it. It is a race (most runs, not all); sessions
 * of 30 MiB did not crash in the runs tried, nor did 120 MiB over four sessions. See
 * docs/runtimes/deno.md for the numbers and how to reproduce it.
 *
 * So: a session that has carried SOFT_LIMIT bytes gets a GOAWAY (session.close():
 * streams in flight finish, the client opens a new connection for the next ones), and
 * a stream that would take its session past HARD_LIMIT is reset (RST_STREAM
 * ENHANCE_YOUR_CALM) and its session closed. Bodies larger than HARD_LIMIT cannot be
 * sent over HTTP/2 to a Deno gateway; over HTTP/1.1 (TLS or not) they can.
 *
 * Counted where the adapter sees the bytes: the request body as the upstream reads it,
 * the response body as the client is sent it.
 *
 * @example
 * const budget = h2Budget(req) // undefined unless the request came over HTTP/2
 * if (budget) req.body = budget.count(req.body)
 */
import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2'
import type { ProxyRequest } from '../../core/http/view.js'
import { downstreamOf } from '../node/downstream.js'

/** After this many DATA bytes a session is closed gracefully. */
export const SOFT_LIMIT = 16 * 1024 * 1024
/** A stream that would take its session past this is reset. Below the ~32 MiB at which Deno crashes. */
export const HARD_LIMIT = 28 * 1024 * 1024

const carried = new WeakMap<Http2Session, number>()

export interface H2Budget {
  /** A body that counts its bytes against the session as it is read. */
  count(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>
  /** Count a body already in memory (a string or bytes); false if it does not fit (the stream was reset). */
  add(bytes: number): boolean
}

/** The budget of the HTTP/2 session `req` arrived on; undefined for HTTP/1.1. */
export function h2Budget(req: ProxyRequest): H2Budget | undefined {
  const res = downstreamOf(req)
  if (res === undefined || !('stream' in res)) return undefined
  const stream = res.stream
  const session = stream.session
  if (!session) return undefined
  const add = (n: number): boolean => {
    const total = (carried.get(session) ?? 0) + n
    carried.set(session, total)
    if (total > HARD_LIMIT) {
      reset(stream, session)
      return false
    }
    if (total > SOFT_LIMIT && !session.closed) session.close()
    return true
  }
  return {
    add,
    count(body) {
      return body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            if (add(chunk.byteLength)) c.enqueue(chunk)
            else c.error(new Error(`HTTP/2 session budget (${HARD_LIMIT} bytes) exceeded`))
          },
        }),
      )
    },
  }
}

function reset(stream: ServerHttp2Stream, session: Http2Session): void {
  if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM)
  if (!session.closed) session.close()
}
