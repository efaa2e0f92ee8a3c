/**
 * @module
 * Copy a request body to a mirror without ever slowing the primary request. The
 * primary reads through a pass-through that hands each chunk on at once; the mirror
 * gets its own buffered copy. A mirror that falls more than `limit` bytes behind (or
 * fails) is dropped and the primary carries on; memory stays bounded by `limit`.
 *
 * @example
 * const { primary, copy } = teeForMirror(req.body, 1 << 20)
 * req.body = primary // the primary request now reads from here
 * pool.request({ ..., body: copy })
 */
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream'

export function teeForMirror(source: Readable, limit: number): { primary: Readable; copy: Readable } {
  const copy = new MirrorBody()
  const primary = new MirrorTee(copy, limit)
  // Their failures are reported through the requests that read them; an 'error' event
  // arriving after a request stopped listening must not become an uncaught exception.
  copy.on('error', ignore)
  primary.on('error', ignore)
  // pipeline: a client that aborts the upload ends both copies with the error.
  pipeline(source, primary, ignore)
  return { primary, copy }
}

/** Push-fed: the tee pushes, the mirror's request reads. */
class MirrorBody extends Readable {
  override _read(): void {}
}

class MirrorTee extends Transform {
  private copy: MirrorBody | null

  constructor(copy: MirrorBody, private readonly limit: number) {
    super()
    this.copy = copy
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const copy = this.copy
    if (copy !== null) {
      if (copy.destroyed) this.copy = null
      else if (copy.readableLength > this.limit) this.dropMirror(`mirror fell more than ${this.limit} bytes behind the request body`)
      else copy.push(chunk)
    }
    cb(null, chunk)
  }

  override _flush(cb: TransformCallback): void {
    // The copy is complete: from here on it belongs to the mirror's request alone
    // (this tee's own destroy after it ends must not touch it).
    this.copy?.push(null)
    this.copy = null
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Destroyed before the source ended: the copy is incomplete and must fail too.
    if (this.copy !== null) this.copy.destroy(err ?? new Error('request body aborted'))
    this.copy = null
    cb(err)
  }

  private dropMirror(why: string): void {
    // The mirror's request fails with this error, which is where it is counted.
    this.copy!.destroy(new Error(why))
    this.copy = null
  }
}

function ignore(): void {}
