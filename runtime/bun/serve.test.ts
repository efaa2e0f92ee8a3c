/**
 * The Bun adapter's plain-HTTP listener (Bun.serve) in a real `bun` process
 * (probes/serve-probe.ts): the request view, forwarding through Bun's fetch, errors
 * answered as on Node, a client going away cancelling the upstream call, and close()
 * draining requests in flight within closeTimeout. Listeners given `onConnect` (a
 * sidecar's outbound, used as an HTTP proxy) are node:http under Bun instead: the
 * absolute-form target and CONNECT, which Bun.serve cannot serve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { get, raw } from '../../test/support/http1.js'
import { startBun, type BunProcess } from './probes/bun-process.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('default\n')
let origin: Server
let probe: BunProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

describe('Bun.serve listener', () => {
  it('[cap bun serve] the handler sees the request view: scheme, authority, port, peer address, version, a signal', async () => {
    const r = await get(probe.port, '/view?a=1', { host: 'Shop.Example:8443' })
    expect(r.status).toBe(200)
    const view = JSON.parse(r.body) as Record<string, unknown>
    expect(view).toMatchObject({
      method: 'GET',
      scheme: 'http',
      authority: 'Shop.Example:8443',
      host: 'shop.example',
      path: '/view',
      query: 'a=1',
      port: probe.port,
      remoteAddress: '127.0.0.1',
      httpVersion: '1.1',
      body: false,
      signal: true,
    })
  })

  it('[cap bun serve] forwards through Bun fetch: path, query, Host and headers as sent, the response status and headers back', async () => {
    route = (req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.writeHead(201, { 'x-from': 'origin' })
      res.end(JSON.stringify({ url: req.url, host: req.headers.host, custom: req.headers['x-custom'] }))
    }
    const r = await get(probe.port, '/some/path?q=%20x', { host: 'api.example', 'x-custom': 'v' })
    expect(r.status).toBe(201)
    expect(r.headers['x-from']).toBe('origin')
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(JSON.parse(r.body)).toEqual({ url: '/some/path?q=%20x', host: 'api.example', custom: 'v' })
  })

  it('[cap bun serve] answers errors as Node does: a WeftError with its status and x-weft-error, anything else 500 ERR_INTERNAL without internals', async () => {
    const known = await get(probe.port, '/weft-error', { host: 'a.example' })
    expect(known.status).toBe(404)
    expect(known.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
    expect(known.body).toBe('no route matches GET a.example/weft-error\n')
    const bug = await get(probe.port, '/bug')
    expect(bug.status).toBe(500)
    expect(bug.headers['x-weft-error']).toBe('ERR_INTERNAL')
    expect(bug.body).toBe('internal error in the proxy\n')
    expect(bug.body).not.toContain('secret')
    await probe.waitForText('onError: secret internals', 2_000)
    const upstreamDown = await startBun('serve-probe.ts', { origin: 1 })
    try {
      const r = await get(upstreamDown.port, '/x')
      expect(r.status).toBe(502)
      expect(r.headers['x-weft-error']).toBe('ERR_UPSTREAM_CONNECT')
    } finally {
      await upstreamDown.stop()
    }
  })

  it('[cap bun serve] refuses an invalid Host and CONNECT with 400 ERR_BAD_REQUEST, as Node does', async () => {
    const badHost = await raw(probe.port, 'GET /x HTTP/1.1\r\nHost: a b\r\n\r\n')
    expect(badHost).toMatch(/^HTTP\/1\.1 400/)
    expect(badHost.toLowerCase()).toContain('x-weft-error: err_bad_request')
    expect(badHost).toContain('invalid character 0x20 in host "a b"')
    const tunnel = await raw(probe.port, 'CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n')
    expect(tunnel).toMatch(/^HTTP\/1\.1 400/)
    expect(tunnel).toContain('CONNECT is not supported on this listener')
  })

  it('[cap bun serve] an HTTP/1.0 request without Host keeps its whole path and has host "" (as on Node), though Bun.serve hands over a bare target', async () => {
    const r = await raw(probe.port, 'GET /view/Secret.Example/x?q=1 HTTP/1.0\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 200/)
    const view = JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)) as { authority: string; host: string; path: string; query: string; headers: Record<string, string> }
    expect(view).toMatchObject({ authority: '', host: '', path: '/view/Secret.Example/x', query: 'q=1' })
    expect(view.headers.host).toBeUndefined()
  })

  it('an absolute-form request is routed by its Host header, not its target (Bun.serve builds request.url from Host; proxy listeners use node:http, below)', async () => {
    route = (req, res) => res.end(JSON.stringify({ url: req.url, host: req.headers.host }))
    const r = await raw(probe.port, 'GET http://api.mesh:81/abs?x=1 HTTP/1.1\r\nHost: web.mesh\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 200/)
    expect(r).toContain('{"url":"/abs?x=1","host":"web.mesh"}')
  })

  it("[cap bun serve] a response slower than Bun's 10 s idleTimeout is waited for, not cut", async () => {
    route = (_req, res) => setTimeout(() => res.end('late\n'), 11_000)
    const r = await get(probe.port, '/late')
    expect(r).toMatchObject({ status: 200, body: 'late\n' })
  }, 20_000)

  it('[cap bun serve] a client that goes away cancels the upstream call (request.signal)', async () => {
    let upstreamClosed!: () => void
    const closed = new Promise<void>((ok) => (upstreamClosed = ok))
    let arrived!: () => void
    const atOrigin = new Promise<void>((ok) => (arrived = ok))
    // Never answers: only the proxy closing its upstream connection ends this request.
    route = (req) => {
      req.socket.once('close', upstreamClosed)
      arrived()
    }
    const client = request({ host: '127.0.0.1', port: probe.port, path: '/hang', agent: false })
    client.on('error', () => {})
    client.end()
    await atOrigin
    const t = performance.now()
    client.destroy()
    await closed
    expect(performance.now() - t).toBeLessThan(2_000)
  })
})

describe('HTTP-proxy listeners (onConnect given: a sidecar outbound) on node:http under Bun', () => {
  let proxy: BunProcess
  beforeAll(async () => {
    proxy = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port, proxy: true })
  })
  afterAll(() => proxy?.stop())

  it('[cap bun serve] an absolute-form target wins over the Host header (RFC 9112 §3.2.2), as on Node', async () => {
    const r = await raw(proxy.port, 'GET http://api.mesh:81/view?x=1 HTTP/1.1\r\nHost: web.mesh\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 200/)
    const view = JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
    expect(view).toMatchObject({ authority: 'api.mesh:81', host: 'api.mesh', path: '/view', query: 'x=1', signal: true })
  })

  it('[cap bun serve] CONNECT opens a tunnel to the target (egress)', async () => {
    route = (req, res) => res.end(`through the tunnel: ${req.url}`)
    const port = (origin.address() as { port: number }).port
    const got = await raw(proxy.port, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\nGET /tunnelled HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`)
    expect(got).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/)
    expect(got).toContain('through the tunnel: /tunnelled')
  })

  it('[cap bun streaming] a 32 MB upload through a proxy listener is held back while the upstream does not read', async () => {
    const TOTAL = 32 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x78)
    let upstreamReq: IncomingMessage | undefined
    route = (req, res) => {
      upstreamReq = req
      req.pause()
      let n = 0
      req.on('data', (d: Buffer) => (n += d.length))
      req.on('end', () => res.end(String(n)))
    }
    let sent = 0
    const done = new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-length': String(TOTAL) } }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve(body))
      })
      req.on('error', reject)
      const go = () => {
        while (sent < TOTAL) {
          sent += chunk.length
          if (!req.write(chunk)) return void req.once('drain', go)
        }
        req.end()
      }
      go()
    })
    await new Promise((r) => setTimeout(r, 1_000))
    expect(upstreamReq).toBeDefined()
    expect(sent).toBeLessThan(TOTAL / 2)
    upstreamReq!.resume()
    expect(await done).toBe(String(TOTAL))
  }, 60_000)
})

describe('Bun.serve close()', () => {
  it('[cap bun serve] lets a request in flight finish, then stops accepting', async () => {
    const p = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port, closeTimeout: 5_000 })
    try {
      route = (_req, res) => setTimeout(() => res.end('finished\n'), 400)
      const inFlight = get(p.port, '/slow')
      await new Promise((r) => setTimeout(r, 100))
      process.kill(p.pid, 'SIGTERM')
      const r = await inFlight
      expect(r.status).toBe(200)
      expect(r.body).toBe('finished\n')
      const { closed } = await p.waitFor<{ closed: number }>('closed')
      expect(closed).toBeGreaterThanOrEqual(200)
      expect(closed).toBeLessThan(4_000)
      await expect(get(p.port, '/after')).rejects.toThrow(/ECONNREFUSED|ECONNRESET/)
    } finally {
      await p.stop()
    }
  })

  it('[cap bun serve] gives up on a request still in flight after closeTimeout', async () => {
    const p = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port, closeTimeout: 300 })
    try {
      route = () => {} // never answers
      const inFlight = get(p.port, '/never').then(
        (r) => `status ${r.status}`,
        (err: Error) => err.message,
      )
      await new Promise((r) => setTimeout(r, 100))
      process.kill(p.pid, 'SIGTERM')
      const { closed } = await p.waitFor<{ closed: number }>('closed')
      expect(closed).toBeGreaterThanOrEqual(250)
      expect(closed).toBeLessThan(2_000)
      expect(await inFlight).toMatch(/socket hang up|ECONNRESET/)
    } finally {
      await p.stop()
    }
  })
})
