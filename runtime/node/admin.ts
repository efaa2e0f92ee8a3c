/**
 * @module
 * The admin server every proxy runs (`--admin HOST:PORT`): `/ready`, `/config`,
 * `/stats`, `/metrics`, and an index at `/`. Routes are an itty-router `Router` on
 * node:http. Admin traffic is a scrape every few seconds, not the proxy's hot path,
 * so each request is turned into a Web `Request` and each answer comes back as a Web
 * `Response`: the routes stay plain fetch handlers and `extra` can add its own.
 *
 * Every callback is read on each request (the proxy swaps config underneath), may
 * return a promise, and may throw: the message becomes a 500 body (or the error's own
 * `status`, for an itty `StatusError` thrown by an extra route).
 *
 * @example
 * const admin = await startAdmin({
 *   address: '127.0.0.1', port: 15000,
 *   ready: () => store.current !== undefined,
 *   config: () => describeSnapshot(store.current),
 *   stats: () => ({ swaps: store.swaps }),
 *   metrics: () => registry.render(),
 *   extra: (router) => router.get('/debug/routes', () => Response.json(table)),
 * })
 * // … later
 * await admin.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { Router, type IRequest, type RouterType } from 'itty-router'

export type AdminRouter = RouterType<IRequest, [], Response>

export interface AdminOptions {
  address: string
  port: number
  /** True once the proxy serves a verified bundle (or a persisted last-known-good one). */
  ready: () => boolean | Promise<boolean>
  /** The active config, served as pretty JSON. Redact secrets (TLS keys) before returning them. */
  config: () => unknown
  stats: () => unknown
  /** Prometheus text format 0.0.4, e.g. `() => registry.render()`. */
  metrics: () => string | Promise<string>
  /** Add routes of your own; they are listed at `/` and may take methods other than GET. */
  extra?: (router: AdminRouter) => void
}

export interface AdminServer {
  /** The bound port (the real one when `port` was 0). */
  port: number
  close(): Promise<void>
}

const DESCRIPTIONS: Record<string, string> = {
  '/': 'this list',
  '/ready': '200 once a verified config is being served, else 503',
  '/config': 'the active config (JSON)',
  '/stats': 'proxy statistics (JSON)',
  '/metrics': 'Prometheus metrics (text format 0.0.4)',
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
const TEXT = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'

export async function startAdmin(opts: AdminOptions): Promise<AdminServer> {
  const router = buildRouter(opts)
  const server = createServer((req, res) => {
    handle(router, req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  let closing: Promise<void> | undefined
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Admin requests are short and a scraper retries: dropping keep-alive (and the
        // rare in-flight) connections now beats a shutdown that waits on idle sockets.
        server.closeAllConnections()
      })),
  }
}

function buildRouter(opts: AdminOptions): AdminRouter {
  const router: AdminRouter = Router<IRequest, [], Response>({ catch: errorResponse })
  router
    .get('/', () => reply(200, listing(router)))
    .get('/ready', async () => ((await opts.ready()) ? reply(200, 'ready') : reply(503, 'not ready: no verified config yet')))
    .get('/config', async () => reply(200, pretty(await opts.config()), JSON_TYPE))
    .get('/stats', async () => reply(200, pretty(await opts.stats()), JSON_TYPE))
    .get('/metrics', async () => reply(200, await opts.metrics(), METRICS_CONTENT_TYPE))
  opts.extra?.(router)
  // Last, so extra routes win; the method decides between 404 and 405.
  router.all('*', (req: IRequest) => {
    const { pathname } = new URL(req.url)
    return req.method === 'GET' ? notFound(router, pathname) : notAllowed(router, req.method, pathname)
  })
  return router
}

function notFound(router: AdminRouter, pathname: string): Response {
  return reply(404, `no admin endpoint at ${pathname}\n\n${listing(router)}`)
}

function notAllowed(router: AdminRouter, method: string, pathname: string): Response {
  return reply(405, `method ${method} is not allowed on ${pathname}\n\n${listing(router)}`, TEXT, { allow: allowed(router, pathname) })
}

/** The routes, `METHOD path  description`, extras included; the fallback left out. */
function listing(router: AdminRouter): string {
  const lines = routesOf(router).map(([method, , , path = '']) => {
    const shown = path === '' ? '/' : path
    return `  ${method.padEnd(4)} ${shown.padEnd(10)} ${DESCRIPTIONS[shown] ?? ''}`.trimEnd()
  })
  return `Weft admin endpoints:\n${lines.join('\n')}\n`
}

/** The `Allow` header for a path: the methods its routes take, else what the built-ins take. */
function allowed(router: AdminRouter, pathname: string): string {
  const methods = new Set(routesOf(router).filter(([, match]) => match.test(pathname)).map(([method]) => method))
  if (methods.size === 0 || methods.has('GET')) methods.add('GET').add('HEAD')
  return [...methods].join(', ')
}

/** Every route but the catch-all fallback, which is always the last one added. */
function routesOf(router: AdminRouter): AdminRouter['routes'] {
  return router.routes.slice(0, -1)
}

function pretty(value: unknown): string {
  return `${JSON.stringify(value ?? null, null, 2)}\n`
}

function reply(status: number, body: string, contentType = TEXT, extra: Record<string, string> = {}): Response {
  // no-store: every answer is live state, and a cached /ready would lie.
  return new Response(body, { status, headers: { 'content-type': contentType, 'cache-control': 'no-store', ...extra } })
}

function errorResponse(err: unknown): Response {
  const e = err as { status?: unknown; message?: unknown }
  const status = typeof e?.status === 'number' && e.status >= 400 && e.status <= 599 ? e.status : 500
  return reply(status, `${typeof e?.message === 'string' && e.message ? e.message : String(err)}\n`)
}

/** Methods the Fetch API refuses to put in a `Request`; no admin route could take them. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

async function handle(router: AdminRouter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: Response
  try {
    const method = req.method ?? 'GET'
    if (FORBIDDEN_METHODS.has(method)) response = notAllowed(router, method, new URL(req.url ?? '/', 'http://admin.invalid').pathname)
    else response = (await router.fetch(toRequest(req))) ?? reply(404, 'not found\n')
  } catch (err) {
    // Only the translation can throw here (the router catches its handlers' errors):
    // a request-target or header the Web API refuses is the client's fault.
    response = reply(400, `bad request: ${(err as Error).message}\n`)
  }
  // Buffered: admin answers are small, and a known length keeps keep-alive simple.
  let body: Buffer
  try {
    body = Buffer.from(await response.arrayBuffer())
  } catch (err) {
    response = errorResponse(err)
    body = Buffer.from(await response.arrayBuffer())
  }
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  headers['content-length'] = String(body.length)
  res.writeHead(response.status, headers)
  // node:http drops the body itself when the request was HEAD.
  res.end(body)
}

function toRequest(req: IncomingMessage): Request {
  const target = req.url ?? '/'
  // A fixed origin: the admin server answers the same whatever Host says, and an
  // origin-form target like `//x` must stay a path, not become a host.
  const url = target.startsWith('/') ? `http://admin.invalid${target}` : target
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  // HEAD runs the GET route; the Response body is then dropped by node:http.
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET') {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
    init.duplex = 'half'
  }
  return new Request(url, init)
}
