/**
 * @module
 * The few Cloudflare Workers types the adapter uses, declared here so the Node build
 * (tsc with @types/node) needs no @cloudflare/workers-types: a KV namespace, a service
 * binding (Fetcher), the execution context, a Cron Trigger's controller, and the part
 * of `request.cf` the identity seam reads.
 *
 * @example
 * export default { fetch(request: Request, env: GatewayEnv, ctx: WorkerContext) { ... } }
 */

/** A Workers KV namespace binding (the subset used: text values). */
export interface KvNamespace {
  get(key: string, type: 'text'): Promise<string | null>
  put(key: string, value: string): Promise<void>
}

/** A service binding: another Worker (or one of its entrypoints), called with fetch. */
export interface Fetcher {
  fetch(input: string | Request, init?: RequestInit): Promise<Response>
}

/** The third argument of a Worker's handlers. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void
  passThroughOnException?(): void
}

/** A Cron Trigger's event. */
export interface ScheduledController {
  scheduledTime: number
  cron: string
}

/**
 * Cloudflare's mTLS client-certificate fields (`request.cf.tlsClientAuth`), present
 * when the zone has mTLS enabled. Strings: `certPresented` '1'/'0', `certVerified`
 * 'SUCCESS' / 'NONE' / 'FAILED:…'.
 */
export interface TlsClientAuth {
  certPresented: string
  certVerified: string
  certRevoked?: string
  certSubjectDN?: string
  certIssuerDN?: string
  certSubjectDNRFC2253?: string
  certIssuerDNRFC2253?: string
  certSerial?: string
  certFingerprintSHA256?: string
  certNotBefore?: string
  certNotAfter?: string
  [field: string]: string | undefined
}

/** The part of `request.cf` Weft reads. Absent on requests that came through a service binding. */
export interface IncomingCf {
  tlsClientAuth?: TlsClientAuth
  httpProtocol?: string
  [field: string]: unknown
}
