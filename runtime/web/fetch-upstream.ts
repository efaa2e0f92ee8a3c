/**
 * @module
 * An Upstream over the runtime's own `fetch` (Bun, Deno, Workers): connection pooling
 * and keep-alive are the runtime's. Each adapter passes its `fetch` and the init
 * fields that make it behave as a proxy needs (no automatic decompression, no
 * redirect following, its own connection pool); the shared part is here.
 *
 * Errors map as on Node: no response head (refused, unreachable, reset before the
 * head) → UpstreamConnect (502); the signal's reason when the caller aborted.
 * Mirrors tee the request body (`ReadableStream.tee()`); the copy's response is
 * discarded and failures counted.
 *
 * @example
 * const upstream = createFetchUpstream({ fetch: globalThis.fetch, init: { redirect: 'manual' } })
 */
import { UpstreamConnect } from '../../core/errors.js'
import type { ProxyRequest, ProxyResponse } from '../../core/http/view.js'
import type { Endpoint } from '../../core/upstream/upstream.js'
import type { ProxyUpstream } from '../types.js'
import { webHeaders } from './inbound.js'
import { headersInit } from './outbound.js'

/** Request fields the runtime's fetch sets itself from the body it is given. */
const FRAMING: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'expect'])

export interface FetchUpstreamOptions {
  fetch: (input: string, init: RequestInit) => Promise<Response>
  /** Extra init fields for every call (e.g. Bun's `decompress: false`, Deno's `client`). */
  init?: Record<string, unknown>
  /** Release pooled connections (e.g. Deno's HttpClient.close()). */
  close?: () => void | Promise<void>
  /** Scheme of upstream URLs. Default 'http'. */
  scheme?: string
  /** The URL of a call (default `scheme://endpoint/path?query`); e.g. a Workers service binding keeps the request's own authority. */
  urlFor?: (endpoint: Endpoint, req: ProxyRequest) => string
}

export interface FetchUpstreamStats {
  mirrors: number
  mirrorErrors: number
}

export function createFetchUpstream(opts: FetchUpstreamOptions): ProxyUpstream & { readonly stats: FetchUpstreamStats } {
  const doFetch = opts.fetch
  const base = { redirect: 'manual', ...opts.init } as RequestInit
  const scheme = opts.scheme ?? 'http'
  const stats: FetchUpstreamStats = { mirrors: 0, mirrorErrors: 0 }
  let closed = false

  const initFor = (req: ProxyRequest, body: unknown, signal: AbortSignal | undefined): RequestInit => {
    // The runtime's fetch frames the body itself (a known length is kept, below).
    const headers = headersInit(req.headers, FRAMING)
    const init: RequestInit & { duplex?: 'half' } = { ...base, method: req.method, headers }
    if (body !== null && body !== undefined) {
      init.body = body as BodyInit
      if (typeof (body as ReadableStream).getReader === 'function') init.duplex = 'half'
      const len = req.headers['content-length']
      if (typeof len === 'string') {
        if (Array.isArray(headers)) headers.push(['content-length', len])
        else headers['content-length'] = len
      }
    }
    if (signal) init.signal = signal
    return init
  }

  const urlFor =
    opts.urlFor ?? ((endpoint: Endpoint, req: ProxyRequest) => `${scheme}://${endpoint.key}${req.path}${req.query === '' ? '' : '?' + req.query}`)

  return {
    stats,

    async send(endpoint: Endpoint, req: ProxyRequest, signal?: AbortSignal): Promise<ProxyResponse> {
      if (signal?.aborted) throw signal.reason
      if (closed) throw new UpstreamConnect(endpoint.key, { cause: new Error('upstream client closed') })
      let res: Response
      try {
        res = await doFetch(urlFor(endpoint, req), initFor(req, req.body, signal))
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        throw new UpstreamConnect(endpoint.key, { cause: err })
      }
      return { status: res.status, headers: webHeaders(res.headers), body: res.body }
    },

    mirror(endpoint: Endpoint, req: ProxyRequest): void {
      if (closed) return
      stats.mirrors++
      let body = req.body
      if (body !== null && typeof (body as ReadableStream).tee === 'function') {
        const stream = body as ReadableStream
        if (stream.locked) {
          stats.mirrorErrors++
          return
        }
        const [primary, copy] = stream.tee()
        req.body = primary
        body = copy
      }
      doFetch(urlFor(endpoint, req), initFor({ ...req, headers: { ...req.headers } }, body, undefined))
        .then((res) => res.body?.cancel())
        .catch(() => {
          stats.mirrorErrors++
        })
    },

    async close(): Promise<void> {
      closed = true
      await opts.close?.()
    },
  }
}
