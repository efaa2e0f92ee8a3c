/**
 * @module
 * A node Readable (a request body on Deno's node:http / node:http2) as a Web
 * ReadableStream that reads only as fast as its consumer (the upstream fetch): the
 * node stream is paused whenever the queue holds HIGH_WATER_MARK bytes and resumed on
 * `pull`. Deno's `Readable.toWeb` does not hold back: a 50 MiB upload over TLS to a
 * paused upstream was read whole (streaming.test.ts). Same approach as the Bun
 * adapter's toWebStream (runtime/bun/serve-node.ts), for the same reason.
 *
 * @example
 * req.body = toWebStream(req.body as Readable)
 */
import type { Readable } from 'node:stream'

/** Bytes a request body may have read ahead of the upstream. */
const HIGH_WATER_MARK = 64 * 1024

export function toWebStream(r: Readable): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        r.on('data', (chunk: Buffer) => {
          c.enqueue(chunk)
          if ((c.desiredSize ?? 0) <= 0) r.pause()
        })
        r.once('end', () => c.close())
        r.once('error', (err) => c.error(err))
      },
      pull() {
        r.resume()
      },
      cancel() {
        r.destroy()
      },
    },
    { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  )
}
