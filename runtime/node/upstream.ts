/**
 * @module
 * The Node Upstream: undici, one keep-alive `Pool` per endpoint, created on first use
 * and kept until close(). Each call is a `pool.dispatch()` with a small handler
 * (upstream-call.ts) that resolves with the head and streams the body; the request
 * body (the client's IncomingMessage) streams to the upstream without buffering, and
 * the headers go as given, `host` included, so the upstream sees the client's Host,
 * not the pool's origin.
 *
 * Mirrors are fire-and-forget and never slow the primary: a request body is teed
 * (mirror-tee.ts) and a mirror more than 1 MiB behind is dropped. Failures (transport
 * errors, dropped mirrors; not HTTP error statuses) are counted in `stats.mirrorErrors`.
 *
 * @example
 * const upstream = createNodeUpstream({ connectTimeout: 2000 })
 * const res = await upstream.send({ address: '127.0.0.1', port: 3000, key: '127.0.0.1:3000' }, req, signal)
 * await upstream.close()
 */
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { Pool, request, type PoolOptions } from './undici-pool.js'
import { UpstreamConnect } from '../../core/errors.js'
import type { ProxyRequest, ProxyResponse } from '../../core/http/view.js'
import type { Endpoint, Upstream } from '../../core/upstream/upstream.js'
import { downstreamOf } from './downstream.js'
import { teeForMirror } from './mirror-tee.js'
import { UpstreamCall, type CallLimits } from './upstream-call.js'

export interface NodeUpstreamOptions {
  /** Connections per endpoint (Envoy's default circuit-breaker limit); more requests queue. Default 1024. */
  connections?: number
  /** How long an idle pooled connection is kept (ms); a shorter `Keep-Alive: timeout` from the upstream wins. Default 4000. */
  keepAliveTimeout?: number
  /** TCP connect timeout (ms). Default 5000. */
  connectTimeout?: number
  /** Last-resort bound on waiting for a response head (ms); route timeouts normally fire first. Default 300 000. */
  headersTimeout?: number
  /** Last-resort bound on a pause between response body chunks (ms). Default 300 000. */
  bodyTimeout?: number
  /** How far (bytes) a mirror may fall behind a streamed request body before it is dropped. Default 1 MiB. */
  mirrorBuffer?: number
}

export interface UpstreamStats {
  /** Mirror requests started. */
  mirrors: number
  /** Mirrors that failed: no connection, reset, dropped for falling behind, or body no longer readable. */
  mirrorErrors: number
}

export interface NodeUpstream extends Upstream {
  readonly stats: UpstreamStats
}

function ignore(): void {}

export function createNodeUpstream(opts: NodeUpstreamOptions = {}): NodeUpstream {
  const limits: CallLimits = { headersTimeout: opts.headersTimeout ?? 300_000, bodyTimeout: opts.bodyTimeout ?? 300_000 }
  const poolOptions: PoolOptions = {
    connections: opts.connections ?? 1024,
    keepAliveTimeout: opts.keepAliveTimeout ?? 4_000,
    connect: { timeout: opts.connectTimeout ?? 5_000 },
    headersTimeout: limits.headersTimeout,
    bodyTimeout: limits.bodyTimeout,
  }
  const mirrorBuffer = opts.mirrorBuffer ?? 1024 * 1024
  const pools = new Map<string, Pool>()
  const stats: UpstreamStats = { mirrors: 0, mirrorErrors: 0 }
  let closed = false

  function poolFor(endpoint: Endpoint): Pool {
    let pool = pools.get(endpoint.key)
    if (pool === undefined) {
      pool = new Pool(`http://${endpoint.key}`, poolOptions)
      pools.set(endpoint.key, pool)
    }
    return pool
  }

  const countMirrorError = () => {
    stats.mirrorErrors++
  }
  const discard = (res: { body: { dump(): Promise<void> } }) => res.body.dump().catch(countMirrorError)

  return {
    stats,

    send(endpoint: Endpoint, req: ProxyRequest, signal?: AbortSignal): Promise<ProxyResponse> {
      if (signal?.aborted) return Promise.reject(signal.reason)
      if (closed) return Promise.reject(new UpstreamConnect(endpoint.key, { cause: new Error('upstream client closed') }))
      const call = new UpstreamCall(endpoint, signal, limits)
      const downstream = downstreamOf(req)
      if (downstream !== undefined) call.watch(downstream)
      const body = req.body
      // undici destroys a request body with the error when the upstream fails mid-upload,
      // after removing its own listeners: without one, a plain Readable (an HTTP/2
      // request, a stage's body) would throw it as an uncaught exception.
      if (body instanceof Readable && body.listenerCount('error') === 0) body.on('error', ignore)
      const headers = req.headers
      // node already answered `Expect: 100-continue` to the client; undici refuses the field.
      if (headers.expect !== undefined) headers.expect = undefined
      poolFor(endpoint).dispatch(
        {
          path: req.query === '' ? req.path : req.path + '?' + req.query,
          method: req.method as Dispatcher.HttpMethod,
          headers: headers as Record<string, string | string[]>,
          body: body as Readable | string | Uint8Array | null,
        },
        call,
      )
      return call.promise
    },

    mirror(endpoint: Endpoint, req: ProxyRequest): void {
      if (closed) return
      stats.mirrors++
      let body = req.body as Readable | string | Uint8Array | null
      if (body instanceof Readable) {
        if (body.readableFlowing !== null || body.readableDidRead) {
          // The primary is already reading it: a copy could only be partial.
          stats.mirrorErrors++
          return
        }
        const tee = teeForMirror(body, mirrorBuffer)
        req.body = tee.primary
        body = tee.copy
      }
      // A copy: stages after this one may still change the primary's headers.
      const headers = { ...req.headers }
      if (headers.expect !== undefined) headers.expect = undefined
      request
        .call(poolFor(endpoint), {
          path: req.query === '' ? req.path : req.path + '?' + req.query,
          method: req.method as Dispatcher.HttpMethod,
          headers: headers as Record<string, string | string[]>,
          body,
        })
        .then(discard, countMirrorError)
    },

    async close(): Promise<void> {
      closed = true
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map((p) => p.destroy()))
    },
  }
}

