/**
 * @module
 * The seam between the proxies (gateway/, worker-proxy/) and a runtime. A runtime
 * adapter serves the data path's listeners and owns the upstream connection pools;
 * everything else (routing, stages, bundles) is the portable core and the same on
 * every runtime. One adapter per runtime: runtime/node (node:http + undici),
 * runtime/bun (Bun.serve + fetch), runtime/deno (Deno.serve + fetch); Workers have
 * no listeners and use runtime/workers directly.
 *
 * @example
 * const rt = await loadRuntime('bun')
 * const l = await rt.serve({ address: '127.0.0.1', port: 0, handler })
 * const upstream = rt.createUpstream()
 */
import type { ProxyRequest, ProxyResponse } from '../core/http/view.js'
import type { Upstream } from '../core/upstream/upstream.js'

export type RuntimeName = 'node' | 'bun' | 'deno'

/** A certificate and its private key, PEM. */
export interface TlsCertificate {
  cert: string
  key: string
}

export interface ServeTls {
  /**
   * The certificate for a handshake's SNI (servername '' when the client sent none).
   * Read at each handshake: the active snapshot may have changed since the listener
   * was bound.
   */
  certFor(servername: string): TlsCertificate | undefined
  /**
   * Every certificate the listener may present, with the hostnames each is for
   * ('*.example.com' wildcards, '' = any). For runtimes that take a static list
   * instead of a per-handshake callback (Bun.serve, Deno.serve): they read it at bind
   * time and again on `Listening.updateTls()`.
   */
  certificates(): Array<TlsCertificate & { hostnames: string[] }>
}

export type ServeHandler = (req: ProxyRequest, signal: AbortSignal | undefined) => Promise<ProxyResponse>

export interface ServeOptions {
  address: string
  port: number
  handler: ServeHandler
  /** Serve HTTPS (HTTP/2 where the runtime can, and HTTP/1.1). */
  tls?: ServeTls
  /** How long close() waits for requests in flight before closing connections (ms). Default 10 000. */
  closeTimeout?: number
  /** Errors that are bugs (a handler throwing something not a WeftError). Default: console.error. */
  onError?: (err: unknown) => void
  /**
   * HTTP/1.1 `CONNECT` tunnels (a sidecar's egress). Node only: the other runtimes'
   * servers do not hand over the raw socket, so they answer CONNECT with 400.
   */
  onConnect?: (req: unknown, socket: unknown, head: unknown) => void
}

export interface Listening {
  /** The bound port (the real one when `port` was 0). */
  port: number
  /** The certificates changed (a new snapshot): runtimes with static lists reload them. */
  updateTls?(): Promise<void>
  /** Stop accepting, let requests in flight finish (bounded), close idle connections. */
  close(): Promise<void>
}

export interface ProxyUpstream extends Upstream {
  /** Adapter counters shown in /stats (mirrors started, failed...). */
  readonly stats?: unknown
}

export interface Runtime {
  readonly name: RuntimeName
  serve(opts: ServeOptions): Promise<Listening>
  createUpstream(): ProxyUpstream
}
