/**
 * The Deno adapter's plain-HTTP listener (Deno.serve) in a real `deno` process
 * (probes/serve-probe.ts): the request view, errors answered as on Node, a client going
 * away cancelling the upstream call, and close() draining requests in flight within
 * closeTimeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { connect } from 'node:net'
import { get, raw } from '../../test/support/http1.js'
import { startDeno, type DenoProcess } from './probes/deno-process.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('default\n')
let origin: Server
let originPort: number
let probe: DenoProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  originPort = (origin.address() as { port: number }).port
  probe = await startDeno('serve-probe.ts', { origin: originPort })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

describe('Deno.serve listener', () => {
  it('[cap deno serve] the handler sees the request view: scheme, authority, port, peer address, version, a signal', async () => {
    const r = await get(probe.port, '/view?a=1', { host: 'Shop.Example:8443' })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({
      method: 'GET',
      scheme: 'http',
      authority: 'Shop.Example:8443',
      host: 'shop.example',
      path: '/view',
      query: 'a=1',
      port: probe.port,
      remoteAddress: '127.0.0.1',
      body: false,
      signal: true,
    })
  })

  it('[cap deno serve] takes HTTP/2 with prior knowledge (h2c) too; the view has no httpVersion, Deno.serve does not say', async () => {
    const session = h2connect(`http://127.0.0.1:${probe.port}`)
    try {
      const view = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const req = session.request({ ':path': '/view', ':authority': 'shop.example' })
        let body = ''
        req.setEncoding('utf8').on('data', (d: string) => (body += d))
        req.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>))
        req.on('error', reject)
      })
      expect(view).toMatchObject({ scheme: 'http', authority: 'shop.example', path: '/view' })
      expect(view.httpVersion).toBeUndefined()
      const r = await get(probe.port, '/view')
      expect((JSON.parse(r.body) as Record<string, unknown>).httpVersion).toBeUndefined()
    } finally {
      session.close()
    }
  })

  it('[cap deno serve] forwards to the origin through the adapter upstream: method, path, query, body, headers both ways', async () => {
    route = (req, res) => {
      let n = ''
      req.setEncoding('utf8').on('data', (d: string) => (n += d))
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2'])
        res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, x: req.headers['x-test'], body: n }))
      })
    }
    const r = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: probe.port, path: '/p?q=1', method: 'PUT', headers: { host: 'shop.example', 'x-test': 'yes' }, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end('payload')
    })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({ method: 'PUT', url: '/p?q=1', host: 'shop.example', x: 'yes', body: 'payload' })
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2'])
  })

  it('answers a WeftError with its status, x-weft-error and message; anything else 500 ERR_INTERNAL without internals', async () => {
    const known = await get(probe.port, '/weft-error', { host: 'shop.example' })
    expect(known.status).toBe(404)
    expect(known.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
    expect(known.body).toBe('no route matches GET shop.example/weft-error\n')
    const bug = await get(probe.port, '/bug')
    expect(bug.status).toBe(500)
    expect(bug.headers['x-weft-error']).toBe('ERR_INTERNAL')
    expect(bug.body).toBe('internal error in the proxy\n')
    expect(bug.body).not.toContain('secret')
    // stderr may arrive just after the response.
    for (let i = 0; i < 100 && !probe.output().includes('onError: secret internals'); i++) await new Promise((r) => setTimeout(r, 20))
    expect(probe.output()).toContain('onError: secret internals')
  })

  it('a request without Host is seen as Host localhost:PORT (Deno.serve fills it in; Node answers 400)', async () => {
    const r = await raw(probe.port, 'GET /view HTTP/1.1\r\nconnection: close\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 200 /)
    const view = JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)) as { authority: string; headers: Record<string, string> }
    expect(view.authority).toBe(`localhost:${probe.port}`)
    expect(view.headers.host).toBe(`localhost:${probe.port}`)
  })

  it('answers 400 ERR_BAD_REQUEST for an invalid Host', async () => {
    const r = await raw(probe.port, 'GET /view HTTP/1.1\r\nhost: a@b\r\nconnection: close\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 400 /)
    expect(r.toLowerCase()).toContain('x-weft-error: err_bad_request')
  })

  it('an absolute-form target wins over Host (a sidecar used as HTTP proxy); two Host fields are refused with 400 (by Deno itself)', async () => {
    const abs = await raw(probe.port, 'GET http://other.example/view?x=1 HTTP/1.1\r\nhost: ignored.example\r\nconnection: close\r\n\r\n')
    expect(abs).toMatch(/^HTTP\/1\.1 200 /)
    expect(JSON.parse(abs.slice(abs.indexOf('\r\n\r\n') + 4))).toMatchObject({ authority: 'other.example', path: '/view', query: 'x=1' })
    const two = await raw(probe.port, 'GET /view HTTP/1.1\r\nhost: a.example\r\nhost: b.example\r\nconnection: close\r\n\r\n')
    expect(two).toMatch(/^HTTP\/1\.1 400 /)
  })

  it('CONNECT on a Deno.serve listener (no onConnect) is answered 400 ERR_BAD_REQUEST', async () => {
    const r = await raw(probe.port, 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n')
    expect(r).toMatch(/^HTTP\/1\.1 400 /)
    expect(r.toLowerCase()).toContain('x-weft-error: err_bad_request')
    expect(r).toContain('CONNECT is not supported on this listener')
  })

  it('[cap deno serve] a listener given onConnect (a sidecar outbound) runs on node:http under Deno: CONNECT tunnels, absolute-form wins', async () => {
    const p = await startDeno('serve-probe.ts', { origin: originPort, proxy: true })
    try {
      route = (req, res) => res.end(`origin saw ${req.method} ${req.url} host=${req.headers.host}`)
      const tunnelled = await raw(p.port, `CONNECT 127.0.0.1:${originPort} HTTP/1.1\r\nhost: 127.0.0.1:${originPort}\r\n\r\nGET /inside HTTP/1.1\r\nhost: tunnel.example\r\nconnection: close\r\n\r\n`)
      expect(tunnelled).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/)
      expect(tunnelled).toContain('origin saw GET /inside host=tunnel.example')
      const abs = await raw(p.port, 'GET http://other.example/view HTTP/1.1\r\nhost: ignored.example\r\nconnection: close\r\n\r\n')
      expect(JSON.parse(abs.slice(abs.indexOf('\r\n\r\n') + 4))).toMatchObject({ authority: 'other.example', path: '/view', signal: true })
    } finally {
      await p.stop()
    }
  })

  it('[cap deno serve] a client going away cancels the upstream call (the origin sees its request aborted)', async () => {
    let originClosed!: () => void
    const closed = new Promise<void>((ok) => (originClosed = ok))
    let arrived!: () => void
    const atOrigin = new Promise<void>((ok) => (arrived = ok))
    route = (_req, res) => {
      // Never answer: only the proxy giving up ends this request.
      res.on('close', () => originClosed())
      arrived()
    }
    const s = connect(probe.port, '127.0.0.1', () => s.write('GET /slow HTTP/1.1\r\nhost: shop.example\r\n\r\n'))
    s.on('error', () => {})
    await atOrigin
    s.destroy()
    const t = Date.now()
    await closed
    expect(Date.now() - t).toBeLessThan(3_000)
  })
})

describe('Deno.serve close()', () => {
  it('[cap deno serve] lets a request in flight finish, then stops; bounded by closeTimeout when the upstream never answers', async () => {
    const p = await startDeno('serve-probe.ts', { origin: originPort, closeTimeout: 800 })
    try {
      route = (req, res) => {
        if (req.url === '/hang') return
        setTimeout(() => res.end('late but whole\n'), 400)
      }
      const slow = get(p.port, '/slow', { host: 'shop.example' })
      const hang = get(p.port, '/hang', { host: 'shop.example' }).catch((err: Error) => err)
      await new Promise((r) => setTimeout(r, 150))
      const t = Date.now()
      process.kill(p.pid, 'SIGTERM')
      const r = await slow
      expect(r.status).toBe(200)
      expect(r.body).toBe('late but whole\n')
      const closed = await p.waitFor('closed', 5_000)
      expect(Number(closed.closed)).toBeGreaterThanOrEqual(700)
      expect(Number(closed.closed)).toBeLessThan(3_000)
      expect(Date.now() - t).toBeLessThan(4_000)
      // The request that never got an answer: its upstream call was aborted and it is answered 502, not left hanging.
      const h = (await hang) as { status: number; headers: Record<string, string> }
      expect(h.status).toBe(502)
      expect(h.headers['x-weft-error']).toBe('ERR_UPSTREAM_RESET')
    } finally {
      await p.stop()
    }
  })
})
