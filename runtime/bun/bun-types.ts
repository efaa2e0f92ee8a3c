/**
 * @module
 * The few Bun APIs the adapter uses, typed here instead of through @types/bun (whose
 * globals clash with @types/node's, and the Node build must type-check). Nothing is
 * declared globally: `bun()` reads `globalThis.Bun` with these types, so this file
 * compiles and loads on Node too (the adapter itself is only ever imported by Bun).
 *
 * @example
 * const server = bun().serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('hi') })
 */

export interface BunSocketAddress {
  address: string
  family: string
  port: number
}

export interface BunServeOptions {
  port: number
  hostname: string
  fetch(request: Request, server: BunServer): Response | Promise<Response>
  error?(err: Error): Response | Promise<Response>
  /** Seconds a connection may see no bytes either way before Bun closes it (0 = never; at most 255). */
  idleTimeout?: number
  /** Bytes; larger bodies are answered 413 by Bun itself. */
  maxRequestBodySize?: number
  /** false: no development error pages; a thrown error goes to `error`. */
  development?: boolean
  /** A static list: `reload()` does not change it (runtime/bun/tls.test.ts). */
  tls?: BunTls | BunTls[]
}

export interface BunTls {
  cert?: string
  key?: string
  ca?: string
  serverName?: string
  requestCert?: boolean
  rejectUnauthorized?: boolean
}

export interface BunServer {
  readonly port: number
  readonly pendingRequests: number
  requestIP(request: Request): BunSocketAddress | null
  /** Per-request idle timeout in seconds (0 = none). */
  timeout(request: Request, seconds: number): void
  /** Stop accepting; with `true` also close connections in flight. Resolves once every connection is closed. */
  stop(closeActiveConnections?: boolean): Promise<void>
  reload(options: Partial<BunServeOptions>): void
}

export interface BunFetchInit extends RequestInit {
  /** Bun only: false = hand over the body as the upstream sent it (gzip stays gzip). */
  decompress?: boolean
  /** Bun only: client certificate / trust for https upstreams. */
  tls?: { cert?: string; key?: string; ca?: string | string[]; rejectUnauthorized?: boolean; checkServerIdentity?: unknown }
  duplex?: 'half'
}

export interface BunGlobal {
  readonly version: string
  serve(options: BunServeOptions): BunServer
  fetch?(input: string, init?: BunFetchInit): Promise<Response>
}

/** Bun's global object; throws when this is not Bun (the adapter is Bun-only). */
export function bun(): BunGlobal {
  const b = (globalThis as { Bun?: BunGlobal }).Bun
  if (b === undefined) throw new Error('runtime/bun is only usable under Bun (start weft with --runtime bun)')
  return b
}
