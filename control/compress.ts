/**
 * @module
 * Bundles sent gzip-compressed to proxies that accept it. A sidecar bundle of a large
 * mesh is ~0.8 MB of base64url JSON (1,000 Services) and every sidecar fetches it on
 * each change; gzip takes it to a fraction (the JSON is repetitive, base64url keeps
 * 6 bits a byte). Each signed bundle is compressed once, on first demand, and the
 * bytes kept as long as the bundle is (a WeakMap on the cached SignedBundle), so the
 * sidecars of a namespace share one compression too. Every proxy runtime's `fetch`
 * asks for gzip and decompresses it by itself; the proxy's size limit applies to the
 * decompressed bundle (core/bundle/poll.ts).
 *
 * @example
 * const body = acceptsGzip(req.header('accept-encoding')) ? await gzipped(bundle) : bundle.jws
 */
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { SignedBundle } from './sign.js'

const gzipAsync = promisify(gzip)
const cache = new WeakMap<SignedBundle, Promise<ArrayBuffer>>()

/** Smaller bundles are sent as they are: compressing them saves less than it costs. */
export const MIN_COMPRESS_BYTES = 1024

/** Whether an Accept-Encoding value allows gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';')
    if (coding !== 'gzip' && coding !== '*') continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  }
  return false
}

/** The gzip bytes of `b.jws`, compressed once per bundle. */
export function gzipped(b: SignedBundle): Promise<ArrayBuffer> {
  let p = cache.get(b)
  if (!p) {
    p = gzipAsync(b.jws, { level: 6 }).then((buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer)
    cache.set(b, p)
  }
  return p
}
