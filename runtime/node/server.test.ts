/**
 * The Node data path end to end over real sockets on 127.0.0.1: client → listen() →
 * createNodeUpstream() → a node:http upstream, and back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { connect as netConnect } from 'node:net'
import { Readable } from 'node:stream'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { InternalError, NoRoute } from '../../core/errors.js'
import { addForwardingHeaders } from '../../core/http/forwarded.js'
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import { textResponse, type ProxyRequest, type ProxyResponse } from '../../core/http/view.js'
import type { Endpoint } from '../../core/upstream/upstream.js'
import { listen, type Listening } from './server.js'
import { createNodeUpstream, type NodeUpstream } from './upstream.js'

const MB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')

/** A body of `total` bytes made of one reused chunk: generating it allocates nothing. */
function chunks(total: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null)
      const n = Math.min(CHUNK.length, total - sent)
      sent += n
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))
    },
  })
}

let origin: Server
let endpoint: Endpoint
let upstream: NodeUpstream
let proxy: Listening
const errors: unknown[] = []
/** The upstream's view of the last /slow request, to see it cancelled. */
let slowSeen: IncomingMessage | undefined

beforeAll(async () => {
  origin = createServer((req, res) => {
    const url = req.url ?? '/'
    if (url === '/upload-reset') {
      req.once('data', () => req.socket.destroy())
    } else if (url.startsWith('/upload')) {
      let n = 0
      req.on('data', (d: Buffer) => (n += d.length))
      req.on('end', () => res.end(String(n)))
    } else if (url.startsWith('/download')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      chunks(Number(new URL(url, 'http://x').searchParams.get('n'))).pipe(res)
    } else if (url === '/reset') {
      res.writeHead(200, { 'content-length': '1000000' })
      res.write(Buffer.alloc(1000, 'a'))
      setTimeout(() => req.socket.destroy(), 20)
    } else if (url === '/head') {
      res.writeHead(200, { 'content-length': '1234', 'content-type': 'application/octet-stream' })
      res.end()
    } else if (url === '/not-modified') {
      res.writeHead(304, { etag: '"v1"' })
      res.end()
    } else if (url === '/slow') {
      slowSeen = req
    } else {
      req.resume()
      req.on('end', () => {
        res.setHeader('connection', 'x-resp-hop')
        res.setHeader('x-resp-hop', 'must not reach the client')
        res.setHeader('keep-alive', 'timeout=7')
        res.setHeader('set-cookie', ['a=1', 'b=2'])
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ method: req.method, url, headers: req.headers }))
      })
    }
  })
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  const port = (origin.address() as { port: number }).port
  endpoint = { address: '127.0.0.1', port, key: `127.0.0.1:${port}` }
  upstream = createNodeUpstream({ connectTimeout: 2000 })
  proxy = await listen({
    address: '127.0.0.1',
    port: 0,
    onError: (err) => errors.push(err),
    handler: async (req: ProxyRequest): Promise<ProxyResponse> => {
      if (req.path === '/view') return textResponse(200, JSON.stringify({ ...req, headers: undefined, body: req.body !== null }))
      if (req.path === '/throw') throw new Error('a bug with secret details')
      if (req.path === '/weft-error') throw new NoRoute(req.method, req.host, req.path)
      if (req.path === '/refused') return upstream.send({ address: '127.0.0.1', port: 1, key: '127.0.0.1:1' }, req)
      stripHopByHop(req.headers)
      addForwardingHeaders(req)
      return upstream.send(endpoint, req)
    },
  })
})

afterAll(async () => {
  await proxy?.close()
  await upstream?.close()
  await new Promise((ok) => origin?.close(ok))
})

interface Reply {
  status: number
  headers: IncomingMessage['headers']
  body: string
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path, method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Send raw bytes on a fresh connection; resolve with everything received until the server closes. */
function raw(text: string, port = proxy.port): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(text))
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (data += d))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    setTimeout(() => socket.destroy(new Error(`no close within 5 s; got ${JSON.stringify(data.slice(0, 200))}`)), 5000).unref()
  })
}

function statusOf(response: string): { status: number; code: string | undefined; body: string } {
  const [head, body = ''] = response.split('\r\n\r\n')
  return {
    status: Number(head!.split(' ')[1]),
    code: /\r\nx-weft-error: (\S+)/i.exec(head!)?.[1],
    body,
  }
}

describe('listen + createNodeUpstream (HTTP/1.1)', () => {
  it('Should pass headers through, strip hop-by-hop both ways and add forwarding headers', async () => {
    const res = await get('/echo/a?b=1', {
      Host: 'Echo.Example:8080',
      Connection: 'keep-alive, x-client-hop',
      'x-client-hop': 'must not reach the upstream',
      'keep-alive': 'timeout=9',
      te: 'trailers',
      'x-custom': 'kept',
      'x-forwarded-for': '203.0.113.7',
    })
    expect(res.status).toBe(200)
    const seen = JSON.parse(res.body) as { method: string; url: string; headers: Record<string, string> }
    expect(seen.url).toBe('/echo/a?b=1')
    // Host forwarded exactly as the client sent it (case and port), not the pool origin.
    expect(seen.headers.host).toBe('Echo.Example:8080')
    expect(seen.headers['x-custom']).toBe('kept')
    expect(seen.headers['x-client-hop']).toBeUndefined()
    expect(seen.headers['keep-alive']).toBeUndefined()
    expect(seen.headers.te).toBeUndefined()
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers.forwarded).toBe('for=127.0.0.1;proto=http;host="Echo.Example:8080"')
    // Response side: the upstream's connection-specific fields are gone, set-cookie stays two lines.
    expect(res.headers['x-resp-hop']).toBeUndefined()
    // (node's server adds its own keep-alive for our hop; the upstream's must not pass)
    expect(res.headers['keep-alive']).not.toBe('timeout=7')
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(res.headers['content-type']).toBe('application/json')
  })

  it('Should forward a normalized path and the body of a POST', async () => {
    const res = await get('/x/../echo/./b', { 'content-type': 'text/plain' }, 'POST', 'hello')
    const seen = JSON.parse(res.body) as { method: string; url: string; headers: Record<string, string> }
    expect(seen.method).toBe('POST')
    expect(seen.url).toBe('/echo/b')
    expect(seen.headers['content-length']).toBe('5')
  })

  it('Should build the request view from what node parsed', async () => {
    const view = JSON.parse((await get('/view?q=1', { host: 'A.Example.:81' })).body) as Record<string, unknown>
    expect(view).toMatchObject({
      method: 'GET', scheme: 'http', authority: 'A.Example.:81', host: 'a.example', path: '/view', query: 'q=1',
      remoteAddress: '127.0.0.1', port: proxy.port, httpVersion: '1.1', body: false,
    })
    expect(view.sni).toBeUndefined()
    const post = JSON.parse((await get('/view', {}, 'POST', 'x')).body) as Record<string, unknown>
    expect(post.body).toBe(true)
  })

  it('Should accept an HTTP/1.0 request without Host (host is then empty)', async () => {
    const reply = statusOf(await raw('GET /view HTTP/1.0\r\n\r\n'))
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toMatchObject({ authority: '', host: '', httpVersion: '1.0' })
  })

  it('Should see no body for Content-Length: 0 and a body for chunked requests', async () => {
    const empty = statusOf(await raw('POST /view HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'))
    expect(JSON.parse(empty.body)).toMatchObject({ body: false })
    const chunked = statusOf(await raw('POST /view HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n'))
    expect(JSON.parse(chunked.body)).toMatchObject({ body: true })
  })

  it('Should relay HEAD (length kept, no body) and 304 responses', async () => {
    const head = await get('/head', {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('1234')
    expect(head.body).toBe('')
    const notModified = await get('/not-modified')
    expect(notModified.status).toBe(304)
    expect(notModified.headers.etag).toBe('"v1"')
  })

  it('Should answer Expect: 100-continue and forward the body without the Expect field', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(proxy.port, '127.0.0.1', () =>
        socket.write('POST /echo/expect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'))
      let data = ''
      socket.setEncoding('latin1')
      socket.on('data', (d: string) => {
        if (data === '' && d.startsWith('HTTP/1.1 100')) socket.write('hello')
        data += d
      })
      socket.on('close', () => resolve(data))
      socket.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1.1 100 Continue/)
    const seen = JSON.parse(reply.slice(reply.lastIndexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> }
    expect(seen.headers.expect).toBeUndefined()
    expect(seen.headers['content-length']).toBe('5')
  })

  it('Should show an IPv4 client of a dual-stack listener as IPv4', async (ctx) => {
    let l: Listening
    try {
      l = await listen({ address: '::', port: 0, handler: async (req) => textResponse(200, req.remoteAddress) })
    } catch {
      return ctx.skip() // no IPv6 here
    }
    try {
      const reply = statusOf(await raw('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', l.port))
      expect(reply.body).toBe('127.0.0.1')
    } finally {
      await l.close()
    }
  })

  it('Should take the authority from an absolute-form target and forward it as Host', async () => {
    const res = await raw(`GET http://Proxied.Example:9000/echo/abs?x=1 HTTP/1.1\r\nHost: ignored.example\r\nConnection: close\r\n\r\n`)
    const seen = JSON.parse(statusOf(res).body) as { url: string; headers: Record<string, string> }
    expect(seen.url).toBe('/echo/abs?x=1')
    expect(seen.headers.host).toBe('Proxied.Example:9000')
  })

  it('Should stream 50 MB up and 50 MB down with bounded memory', async () => {
    const size = 50 * MB
    // Client, proxy and upstream all run in this process, so every hop's received
    // chunks are garbage here, and RSS only tells how lazily V8 collects and glibc
    // returns memory (it grows ~50 MB with or without the proxy in between).
    // Collecting before each sample measures what is retained: what buffering grows.
    // (test/integration/gateway-streaming.test.ts checks RSS of a separate gateway process.)
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const retained = () => {
      gc()
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    const base = retained()
    let peak = base
    const sample = setInterval(() => (peak = Math.max(peak, retained())), 50)
    try {
      const uploaded = await new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path: '/upload', method: 'POST', agent: false }, (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve(body))
        })
        req.on('error', reject)
        chunks(size).pipe(req)
      })
      expect(uploaded).toBe(String(size))
      const downloaded = await new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: proxy.port, path: `/download?n=${size}`, agent: false }, (res) => {
          let n = 0
          res.on('data', (d: Buffer) => (n += d.length))
          res.on('end', () => resolve(n))
        }).on('error', reject).end()
      })
      expect(downloaded).toBe(size)
    } finally {
      clearInterval(sample)
    }
    // A proxy that buffered a body whole would retain at least its 50 MB; streaming retains
    // what is in flight in the three hops' buffers (measured 10-30 MB, most under load).
    expect((peak - base) / MB).toBeLessThan(40)
  })

  it.each([
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'ERR_BAD_REQUEST', /Transfer-Encoding can't be present with Content-Length/],
    ['a duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 400, 'ERR_BAD_REQUEST', /Duplicate Content-Length/],
    ['a bad chunk size', 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400, 'ERR_BAD_REQUEST', /chunk size/],
    ['oversized headers', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431, 'ERR_HEADERS_TOO_LARGE', /16 KiB/],
    ['a bad request line', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'ERR_BAD_REQUEST', /malformed request/],
    ['invalid percent-encoding', 'GET /a%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /percent-encoding/],
    ['a bad Host', 'GET / HTTP/1.1\r\nHost: a..b\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /empty label/],
    ['a Host with a bad port', 'GET / HTTP/1.1\r\nHost: a:99999\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /invalid port/],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /more than one Host/],
    ['a missing Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /missing Host/],
    ['asterisk-form with GET', 'GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 400, 'ERR_BAD_REQUEST', /only valid for OPTIONS/],
    ['CONNECT', 'CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n', 400, 'ERR_BAD_REQUEST', /CONNECT is not supported/],
  ])('Should answer %s with a reason and keep serving', async (_name, request, status, code, why) => {
    const reply = statusOf(await raw(request))
    expect(reply.status).toBe(status)
    expect(reply.code).toBe(code)
    expect(reply.body).toMatch(why)
    // The next connection is served normally.
    expect((await get('/echo/next')).status).toBe(200)
  })

  it('Should answer 502 ERR_UPSTREAM_CONNECT when the upstream refuses the connection', async () => {
    const res = await get('/refused')
    expect(res.status).toBe(502)
    expect(res.headers['x-weft-error']).toBe('ERR_UPSTREAM_CONNECT')
  })

  it('Should abort the client response when the upstream resets mid-body, and stay up', async () => {
    const outcome = await new Promise<string>((resolve) => {
      httpRequest({ host: '127.0.0.1', port: proxy.port, path: '/reset', agent: false }, (res) => {
        expect(res.statusCode).toBe(200)
        res.on('data', () => {})
        res.on('end', () => resolve('end'))
        res.on('aborted', () => resolve('aborted'))
        res.on('error', () => resolve('aborted'))
      }).on('error', () => resolve('aborted')).end()
    })
    expect(outcome).toBe('aborted')
    expect((await get('/echo/after-reset')).status).toBe(200)
  })

  it('Should survive an upstream that fails in the middle of an upload', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path: '/upload-reset', method: 'POST', agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(`status ${res.statusCode}`))
        res.on('error', () => resolve('aborted'))
      })
      req.on('error', () => resolve('aborted'))
      chunks(8 * MB).pipe(req)
    })
    expect(['status 502', 'aborted']).toContain(outcome)
    expect((await get('/echo/after-upload-reset')).status).toBe(200)
  })

  it('Should cancel the upstream request when the client goes away before the response', async () => {
    slowSeen = undefined
    const client = httpRequest({ host: '127.0.0.1', port: proxy.port, path: '/slow', agent: false })
    client.on('error', () => {})
    client.end()
    await until(() => slowSeen !== undefined)
    const closed = new Promise((ok) => slowSeen!.socket.once('close', ok))
    client.destroy()
    await closed
  })

  it('Should answer a WeftError with its status and a bug with a bare 500', async () => {
    const typed = await get('/weft-error')
    expect(typed.status).toBe(404)
    expect(typed.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
    const bug = await get('/throw')
    expect(bug.status).toBe(500)
    expect(bug.headers['x-weft-error']).toBe(new InternalError('').code)
    expect(bug.body).not.toMatch(/secret/)
    expect(errors.some((e) => (e as Error).message === 'a bug with secret details')).toBe(true)
  })
})

describe('close()', () => {
  it('Should let a request in flight finish, close idle keep-alive connections and stop accepting', async () => {
    let release!: () => void
    const gate = new Promise<void>((ok) => (release = ok))
    const l = await listen({
      address: '127.0.0.1',
      port: 0,
      handler: async (req) => {
        if (req.path === '/wait') await gate
        return textResponse(200, 'done')
      },
    })
    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = netConnect(l.port, '127.0.0.1')
    const idleClosed = new Promise((ok) => idle.on('close', ok))
    idle.on('error', () => {})
    idle.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n')
    await new Promise((ok) => idle.once('data', ok))
    const inFlight = rawTo(l.port, 'GET /wait HTTP/1.1\r\nHost: a\r\n\r\n')
    await new Promise((ok) => setTimeout(ok, 50))
    const closing = l.close()
    await idleClosed
    release()
    const reply = await inFlight
    expect(reply).toMatch(/^HTTP\/1.1 200/)
    expect(reply).toMatch(/\r\nconnection: close\r\n/i)
    await closing
    await expect(rawTo(l.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).rejects.toThrow(/ECONNREFUSED/)
  })
})

function rawTo(port: number, text: string): Promise<string> {
  return raw(text, port)
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((ok) => setTimeout(ok, 10))
  }
}
