/**
 * The Deno Upstream (Deno's fetch through one Deno.createHttpClient) in a real `deno`
 * process (probes/serve-probe.ts forwarding to an origin here): keep-alive reuse
 * counted in upstream connections, the client's Host forwarded, redirects passed back,
 * 502 when nothing listens, and what Deno's fetch does to compressed bodies and to
 * requests without Accept-Encoding (documented in docs/runtimes/deno.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { gzipSync } from 'node:zlib'
import { startDeno, type DenoProcess } from './probes/deno-process.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('default\n')
let origin: Server
let connections = 0
let probe: DenoProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  origin.on('connection', () => connections++)
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startDeno('serve-probe.ts', { origin: (origin.address() as { port: number }).port })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('Deno upstream (fetch + createHttpClient)', () => {
  it('[cap deno upstream-pool] reuses one keep-alive connection for sequential calls to an endpoint', async () => {
    route = (_req, res) => res.end('ok\n')
    await get(probe.port, '/warm', { host: 'shop.example' })
    const before = connections
    for (let i = 0; i < 20; i++) {
      const r = await get(probe.port, `/n${i}`, { host: 'shop.example' })
      expect(r.status).toBe(200)
    }
    // 20 calls, each from a new client connection: the upstream side opened none.
    expect(connections - before).toBe(0)
  })

  it('[cap deno upstream-pool] opens more connections for concurrent calls, then reuses them', async () => {
    let hold: (() => void)[] = []
    route = (_req, res) => hold.push(() => res.end('ok\n'))
    const before = connections
    const calls = Array.from({ length: 4 }, (_, i) => get(probe.port, `/c${i}`, { host: 'shop.example' }))
    for (let i = 0; i < 200 && hold.length < 4; i++) await new Promise((r) => setTimeout(r, 10))
    expect(hold.length).toBe(4)
    for (const h of hold) h()
    hold = []
    await Promise.all(calls)
    const opened = connections - before
    expect(opened).toBeGreaterThanOrEqual(3)
    route = (_req, res) => res.end('ok\n')
    for (let i = 0; i < 8; i++) await get(probe.port, `/again${i}`, { host: 'shop.example' })
    expect(connections - before).toBe(opened)
  })

  it("forwards the client's Host, not the endpoint address (createHttpClient allowHost)", async () => {
    route = (req, res) => res.end(String(req.headers.host))
    const r = await get(probe.port, '/host', { host: 'shop.example:8080' })
    expect(r.body.toString()).toBe('shop.example:8080')
  })

  it('passes a redirect back to the client instead of following it', async () => {
    route = (req, res) => {
      if (req.url !== '/from') {
        res.end('followed\n')
        return
      }
      res.writeHead(302, { location: '/to' })
      res.end()
    }
    const r = await get(probe.port, '/from', { host: 'shop.example' })
    expect(r.status).toBe(302)
    expect(r.headers.location).toBe('/to')
  })

  it('answers 502 ERR_UPSTREAM_CONNECT when nothing listens at the endpoint', async () => {
    const s = createNetServer()
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    const closedPort = (s.address() as { port: number }).port
    await new Promise((ok) => s.close(ok))
    const p = await startDeno('serve-probe.ts', { origin: closedPort })
    try {
      const r = await get(p.port, '/', { host: 'shop.example' })
      expect(r.status).toBe(502)
      expect(r.headers['x-weft-error']).toBe('ERR_UPSTREAM_CONNECT')
    } finally {
      await p.stop()
    }
  })

  it('a gzip response is decoded by Deno and sent uncompressed, without Content-Encoding (cannot pass through, denoland/deno#12291)', async () => {
    const text = 'hello, compressed world\n'.repeat(100)
    const gz = gzipSync(text)
    route = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length, 'content-type': 'text/plain' })
      res.end(gz)
    }
    const r = await get(probe.port, '/gz', { host: 'shop.example', 'accept-encoding': 'gzip' })
    expect(r.status).toBe(200)
    expect(r.headers['content-encoding']).toBeUndefined()
    expect(r.body.toString()).toBe(text)
    // With `accept-encoding: identity` Deno leaves the body alone: what the upstream sent goes through.
    const id = await get(probe.port, '/gz', { host: 'shop.example', 'accept-encoding': 'identity' })
    expect(id.headers['content-encoding']).toBe('gzip')
    expect(Buffer.compare(id.body, gz)).toBe(0)
  })

  it('deflate is not decoded by Deno: passed through as sent', async () => {
    const body = Buffer.from([1, 2, 3, 4, 5])
    route = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'deflate', 'content-length': body.length })
      res.end(body)
    }
    const r = await get(probe.port, '/deflate', { host: 'shop.example', 'accept-encoding': 'deflate' })
    expect(r.headers['content-encoding']).toBe('deflate')
    expect(Buffer.compare(r.body, body)).toBe(0)
  })

  it('a request without Accept-Encoding / Accept-Language reaches the upstream with the ones Deno adds', async () => {
    route = (req, res) => res.end(JSON.stringify({ ae: req.headers['accept-encoding'] ?? null, al: req.headers['accept-language'] ?? null, ua: req.headers['user-agent'] ?? null, accept: req.headers.accept ?? null }))
    const r = await get(probe.port, '/added', { host: 'shop.example' })
    const seen = JSON.parse(r.body.toString()) as Record<string, string | null>
    expect(seen.ae).toBe('gzip,br')
    expect(seen.al).toBe('*')
    expect(seen.ua).toMatch(/^Deno\//)
    expect(seen.accept).toBe('*/*')
  })
})
