/**
 * @module
 * The few Deno APIs the adapter uses, typed here instead of through Deno's own
 * `lib.deno.d.ts` (a global namespace the Node build must not see). Nothing is
 * declared globally: `deno()` reads `globalThis.Deno` with these types, so this file
 * compiles and loads on Node too (the adapter itself is only imported under Deno).
 * Shapes follow `deno types` of Deno 2.9.
 *
 * @example
 * const server = deno().serve({ port: 0, hostname: '127.0.0.1' }, () => new Response('hi'))
 */

export interface DenoNetAddr {
  transport: 'tcp' | 'udp'
  hostname: string
  port: number
}

export interface DenoServeHandlerInfo {
  remoteAddr: DenoNetAddr
  /** Settles once the response has been sent (rejects when the client went away first). */
  completed: Promise<void>
}

export interface DenoServeOptions {
  hostname: string
  port: number
  /** Aborting closes the server and every connection at once. */
  signal?: AbortSignal
  onError?: (error: unknown) => Response | Promise<Response>
  onListen?: (addr: DenoNetAddr) => void
  /** Compress responses the client accepts: off, a proxy passes bodies on as sent. */
  automaticCompression?: boolean
}

export interface DenoHttpServer {
  readonly addr: DenoNetAddr
  readonly finished: Promise<void>
  /** Stop accepting; resolves when requests in flight have finished. */
  shutdown(): Promise<void>
}

export interface DenoCreateHttpClientOptions {
  caCerts?: string[]
  poolMaxIdlePerHost?: number
  /** ms, or false for no idle timeout. */
  poolIdleTimeout?: number | false
  http1?: boolean
  http2?: boolean
  /** Let a request's own Host header through (Deno's fetch drops it otherwise). */
  allowHost?: boolean
  /** Client certificate chain and key (PEM) presented to TLS upstreams. */
  cert?: string
  key?: string
}

export interface DenoHttpClient {
  close(): void
}

export interface DenoGlobal {
  readonly version: { deno: string }
  serve(options: DenoServeOptions, handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>): DenoHttpServer
  createHttpClient(options: DenoCreateHttpClientOptions): DenoHttpClient
}

/** Deno's init field for fetch: the client (pool) to send through. */
export interface DenoFetchInit extends RequestInit {
  client?: DenoHttpClient
}

/** Deno's global object; throws when this is not Deno (the adapter is Deno-only). */
export function deno(): DenoGlobal {
  const d = (globalThis as { Deno?: DenoGlobal }).Deno
  if (d === undefined) throw new Error('runtime/deno is only usable under Deno (start weft with --runtime deno)')
  return d
}
