/**
 * HTTPS listeners of the Bun adapter in a real `bun` process (probes/serve-probe.ts
 * with `tls`): node:http2 `createSecureServer` under Bun's Node compatibility, since
 * Bun.serve (1.4.5) speaks no HTTP/2 over TLS and does not tell a request its
 * connection's SNI (last test). Certificates: test/fixtures/tls (example.com and
 * other.test, self-signed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { peakRssMb, startBun, type BunProcess } from './probes/bun-process.js'

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/tls/${name}`, import.meta.url), 'utf8')
const example = { cert: fixture('example.cert.pem'), key: fixture('example.key.pem') }
const other = { cert: fixture('other.cert.pem'), key: fixture('other.key.pem') }
const MB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 0x78)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('default\n')
let origin: Server
let probe: BunProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port, tls: { '': example, 'other.test': other } })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

/** HTTPS/1.1 request with SNI `servername`; the body and the certificate the server presented. */
function h1(servername: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; peerCN: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: probe.port, path, servername, headers, agent: false, rejectUnauthorized: false },
      (res) => {
        const peerCN = String((res.socket as TLSSocket).getPeerCertificate().subject.CN)
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, body, peerCN }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

function h2session(servername: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(`https://127.0.0.1:${probe.port}`, { servername, rejectUnauthorized: false })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

function h2request(s: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = s.request(headers)
    let got = ''
    let head: IncomingHttpHeaders = {}
    stream.on('response', (h) => (head = h))
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => (got += d))
    stream.on('end', () => resolve({ headers: head, body: got }))
    stream.on('error', reject)
    stream.end(body)
  })
}

describe('HTTPS listeners under Bun (node:http2 compat)', () => {
  it('[cap bun tls] (node:http2 under Bun) HTTP/1.1 over TLS: the certificate is chosen by SNI at each handshake, the handler sees scheme https and the SNI', async () => {
    const a = await h1('www.example.com', '/view', { host: 'www.example.com' })
    expect(a.peerCN).toBe('test')
    expect(JSON.parse(a.body)).toMatchObject({ scheme: 'https', sni: 'www.example.com', host: 'www.example.com', httpVersion: '1.1', port: probe.port, signal: true })
    const b = await h1('other.test', '/view', { host: 'other.test' })
    expect(b.peerCN).toBe('other.test')
    expect(JSON.parse(b.body)).toMatchObject({ sni: 'other.test' })
    route = (req, res) => res.end(`origin saw ${req.headers.host}${req.url}`)
    expect(await h1('www.example.com', '/fwd?x=1', { host: 'www.example.com' })).toMatchObject({ status: 200, body: 'origin saw www.example.com/fwd?x=1' })
  })

  it('[cap bun http2] (node:http2 under Bun) HTTP/2 over TLS (ALPN h2): the handler sees version 2.0 and :authority as host; a POST body and repeated response fields go through', async () => {
    const s = await h2session('other.test')
    try {
      expect(s.alpnProtocol).toBe('h2')
      const view = await h2request(s, { ':path': '/view', ':authority': 'other.test' })
      expect(JSON.parse(view.body)).toMatchObject({ httpVersion: '2.0', sni: 'other.test', authority: 'other.test', host: 'other.test', scheme: 'https' })
      route = (req, res) => {
        let n = ''
        req.setEncoding('utf8')
        req.on('data', (d: string) => (n += d))
        req.on('end', () => {
          res.setHeader('set-cookie', ['a=1', 'b=2'])
          res.end(`${req.method} ${req.headers.host} ${n}`)
        })
      }
      const post = await h2request(s, { ':method': 'POST', ':path': '/p', ':authority': 'other.test' }, 'payload')
      expect(post.headers[':status']).toBe(200)
      expect(post.headers['set-cookie']).toEqual(['a=1', 'b=2'])
      expect(post.body).toBe('POST other.test payload')
    } finally {
      s.close()
    }
  })

  it('[cap bun tls] (node:http2 under Bun) a client that goes away cancels the upstream call, over HTTP/1.1 and HTTP/2', async () => {
    for (const version of ['1.1', '2']) {
      let upstreamClosed!: () => void
      const closed = new Promise<void>((ok) => (upstreamClosed = ok))
      let arrived!: () => void
      const atOrigin = new Promise<void>((ok) => (arrived = ok))
      // Never answers: only the proxy giving up its upstream call closes this connection.
      route = (req) => {
        req.socket.once('close', upstreamClosed)
        arrived()
      }
      let leave: () => void
      if (version === '2') {
        const s = await h2session('www.example.com')
        const stream = s.request({ ':path': '/hang', ':authority': 'www.example.com' })
        stream.on('error', () => {})
        leave = () => s.destroy()
      } else {
        const req = httpsRequest({ host: '127.0.0.1', port: probe.port, path: '/hang', servername: 'www.example.com', agent: false, rejectUnauthorized: false })
        req.on('error', () => {})
        req.end()
        leave = () => req.destroy()
      }
      await atOrigin
      const t = performance.now()
      leave()
      await closed
      expect(performance.now() - t, `HTTP/${version}`).toBeLessThan(2_000)
    }
  })

  it('[cap bun streaming] HTTP/2: 50 MB each way, the far end paused holds the near end back (flow control through Bun fetch), memory stays bounded', async () => {
    const TOTAL = 50 * MB
    let originSent = 0
    let upstreamReq: IncomingMessage | undefined
    route = (req, res) => {
      if (req.method === 'POST') {
        upstreamReq = req
        req.pause()
        let n = 0
        req.on('data', (d: Buffer) => (n += d.length))
        req.on('end', () => res.end(String(n)))
        return
      }
      res.writeHead(200, { 'content-length': String(TOTAL) })
      const go = () => {
        while (originSent < TOTAL) {
          originSent += CHUNK.length
          if (!res.write(CHUNK)) return void res.once('drain', go)
        }
        res.end()
      }
      go()
    }
    const base = peakRssMb(probe.pid)
    const s = await h2session('www.example.com')
    try {
      // Download, the client paused first.
      const down = s.request({ ':path': '/download', ':authority': 'www.example.com' })
      down.pause()
      await sleep(1_000)
      expect(originSent).toBeLessThan(32 * MB)
      let got = 0
      down.on('data', (d: Buffer) => (got += d.length))
      down.resume()
      await new Promise((ok) => down.on('end', ok))
      expect(got).toBe(TOTAL)
      // Upload, the origin paused first.
      const up = s.request({ ':method': 'POST', ':path': '/upload', ':authority': 'www.example.com', 'content-length': String(TOTAL) })
      let sent = 0
      const go = () => {
        while (sent < TOTAL) {
          sent += CHUNK.length
          if (!up.write(CHUNK)) return void up.once('drain', go)
        }
        up.end()
      }
      go()
      let answer = ''
      up.setEncoding('utf8')
      up.on('data', (d: string) => (answer += d))
      const ended = new Promise((ok) => up.on('end', ok))
      await sleep(1_000)
      expect(upstreamReq).toBeDefined()
      expect(sent).toBeLessThan(32 * MB)
      upstreamReq!.resume()
      await ended
      expect(answer).toBe(String(TOTAL))
    } finally {
      s.close()
    }
    expect(peakRssMb(probe.pid) - base).toBeLessThan(TOTAL / MB)
  }, 60_000)

  // Retried: under CPU contention Bun sometimes reads the upload whole despite the socket
  // pause (about one run in four with the CPU contended; docs/runtimes/bun.md).
  it('[cap bun streaming] HTTPS over HTTP/1.1: an upload is held back while the upstream does not read (the socket is paused: Bun 1.4.5 node:http2 allowHTTP1 ignores the request\'s pause()), then arrives whole', { retry: 2, timeout: 60_000 }, async () => {
    const TOTAL = 128 * MB
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
      const req = httpsRequest(
        { host: '127.0.0.1', port: probe.port, path: '/upload', method: 'POST', servername: 'www.example.com', agent: false, rejectUnauthorized: false, headers: { 'content-length': String(TOTAL) } },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (body += d))
          res.on('end', () => resolve(body))
        },
      )
      req.on('error', reject)
      const go = () => {
        while (sent < TOTAL) {
          sent += CHUNK.length
          if (!req.write(CHUNK)) return void req.once('drain', go)
        }
        req.end()
      }
      go()
    })
    // Socket buffers and Bun's TLS read-ahead take 10-40 MB before the client is held: once
    // they are full, the client makes no more progress while the upstream reads nothing.
    await sleep(1_500)
    const held = sent
    await sleep(1_000)
    expect(upstreamReq).toBeDefined()
    expect(sent - held).toBeLessThan(1 * MB)
    expect(sent).toBeLessThan(64 * MB)
    upstreamReq!.resume()
    expect(await done).toBe(String(TOTAL))
  })
})

describe('HTTPS listener close() under Bun', () => {
  it('[cap bun tls] (node:http2 under Bun) close() lets a request in flight finish, then stops accepting', async () => {
    const p = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port, tls: { '': example }, closeTimeout: 5_000 })
    try {
      route = (_req, res) => setTimeout(() => res.end('finished\n'), 400)
      const get = () =>
        new Promise<string>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: p.port, path: '/slow', servername: 'www.example.com', agent: false, rejectUnauthorized: false }, (res) => {
            let body = ''
            res.setEncoding('utf8')
            res.on('data', (d: string) => (body += d))
            res.on('end', () => resolve(body))
          })
          req.on('error', reject)
          req.end()
        })
      const inFlight = get()
      await sleep(150)
      process.kill(p.pid, 'SIGTERM')
      expect(await inFlight).toBe('finished\n')
      const { closed } = await p.waitFor<{ closed: number }>('closed')
      expect(closed).toBeGreaterThanOrEqual(150)
      expect(closed).toBeLessThan(4_000)
      await expect(get()).rejects.toThrow(/ECONNREFUSED|ECONNRESET/)
    } finally {
      await p.stop()
    }
  })
})

describe('Bun.serve with tls (why HTTPS ports do not use it)', () => {
  it('negotiates no HTTP/2 (ALPN offers h2, Bun.serve answers HTTP/1.1) and its Request carries no SNI', async () => {
    const p = await startBun('tls-probe.ts', { mode: 'bun-serve', ...example, serverName: 'www.example.com' })
    try {
      const alpn = await new Promise<string | false>((resolve, reject) => {
        const s = h2connect(`https://127.0.0.1:${p.port}`, { servername: 'www.example.com', rejectUnauthorized: false })
        s.once('error', reject)
        s.socket.once('secureConnect', () => {
          resolve((s.socket as TLSSocket).alpnProtocol ?? false)
          s.destroy()
        })
      }).catch(() => false as const)
      expect(alpn).not.toBe('h2')
      const seen = await new Promise<{ request: string[] }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: p.port, path: '/', servername: 'www.example.com', agent: false, rejectUnauthorized: false }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (body += d))
          res.on('end', () => resolve(JSON.parse(body) as { request: string[] }))
        })
        req.on('error', reject)
        req.end()
      })
      expect(seen.request.filter((n) => /sni|servername|tls/i.test(n))).toEqual([])
    } finally {
      await p.stop()
    }
  })

  it('server.reload({ tls }) does not change the certificate later handshakes get (a static list, fixed at start)', async () => {
    const p = await startBun('tls-probe.ts', { mode: 'bun-serve', ...example, serverName: 'www.example.com', reloadWith: other })
    try {
      const call = (path: string) =>
        new Promise<{ cn: string; body: string }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: p.port, path, servername: 'www.example.com', agent: false, rejectUnauthorized: false }, (res) => {
            const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN)
            let body = ''
            res.setEncoding('utf8')
            res.on('data', (d: string) => (body += d))
            res.on('end', () => resolve({ cn, body }))
          })
          req.on('error', reject)
          req.end()
        })
      expect((await call('/')).cn).toBe('test')
      expect(await call('/reload')).toEqual({ cn: 'test', body: 'reloaded' })
      // A new connection, a new handshake: still the first certificate.
      expect((await call('/')).cn).toBe('test')
    } finally {
      await p.stop()
    }
  })
})
