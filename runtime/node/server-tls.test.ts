/**
 * HTTPS listeners: HTTP/2 and HTTP/1.1 over TLS on one port, the certificate chosen
 * by SNI, and the handler seeing the SNI and the authority. Certificates are the
 * committed fixtures of test/fixtures/tls (gen.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect as h2connect, type ClientHttp2Session } from 'node:http2'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { createSecureContext, type TLSSocket } from 'node:tls'
import { addForwardingHeaders } from '../../core/http/forwarded.js'
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import { textResponse } from '../../core/http/view.js'
import { listen, type Listening } from './server.js'
import { createNodeUpstream, type NodeUpstream } from './upstream.js'

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/tls/${name}`, import.meta.url))
const example = { cert: fixture('example.cert.pem'), key: fixture('example.key.pem') }
const other = { cert: fixture('other.cert.pem'), key: fixture('other.key.pem') }
const contexts = { example: createSecureContext(example), other: createSecureContext(other) }

let origin: Server
let upstream: NodeUpstream
let proxy: Listening

beforeAll(async () => {
  origin = createServer((req, res) => {
    if (req.url === '/upload-reset') {
      // Fail mid-upload: read a little of the body, then drop the connection.
      req.once('data', () => req.socket.destroy())
      return
    }
    if (req.url === '/reset') {
      res.writeHead(200, { 'content-length': '100000' })
      res.write('partial')
      setTimeout(() => req.socket.destroy(), 20)
      return
    }
    let n = 0
    req.on('data', (d: Buffer) => (n += d.length))
    req.on('end', () => {
      // Fields HTTP/2 forbids in a response: the proxy must strip them or node's h2 writer throws.
      res.setHeader('connection', 'keep-alive')
      res.setHeader('keep-alive', 'timeout=7')
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers, bytes: n }))
    })
  })
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  const port = (origin.address() as { port: number }).port
  const endpoint = { address: '127.0.0.1', port, key: `127.0.0.1:${port}` }
  upstream = createNodeUpstream()
  proxy = await listen({
    address: '127.0.0.1',
    port: 0,
    tls: {
      SNICallback: (servername, cb) => cb(null, servername === 'other.test' ? contexts.other : contexts.example),
      ...example,
    },
    handler: async (req) => {
      if (req.path === '/view') {
        return textResponse(200, JSON.stringify({ ...req, headers: req.headers, body: req.body !== null }))
      }
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

function session(servername: string | undefined, ca: Buffer): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(`https://127.0.0.1:${proxy.port}`, { ca, servername: servername ?? '', rejectUnauthorized: true, checkServerIdentity: () => undefined })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

interface H2Reply {
  status: number
  headers: Record<string, unknown>
  body: string
}

function h2request(s: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = s.request(headers, { endStream: body === undefined })
    let text = ''
    let head: Record<string, unknown> = {}
    stream.setEncoding('utf8')
    stream.on('response', (h) => (head = h))
    stream.on('data', (d: string) => (text += d))
    stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: text }))
    stream.on('error', reject)
    if (body !== undefined) stream.end(body)
  })
}

describe('listen with tls', () => {
  it('Should serve HTTP/2 and show the handler the SNI and the :authority [cap node http2] [cap node tls]', async () => {
    const s = await session('api.example.com', example.cert)
    try {
      const reply = await h2request(s, { ':path': '/view?x=1', ':authority': 'API.example.com:8443', 'x-h': 'v' })
      expect(reply.status).toBe(200)
      const view = JSON.parse(reply.body) as Record<string, unknown> & { headers: Record<string, string> }
      expect(view).toMatchObject({
        method: 'GET', scheme: 'https', sni: 'api.example.com', authority: 'API.example.com:8443', host: 'api.example.com',
        path: '/view', query: 'x=1', httpVersion: '2.0', port: proxy.port, remoteAddress: '127.0.0.1', body: false,
      })
      // Pseudo-headers are gone from the map; :authority became host.
      expect(Object.keys(view.headers).filter((k) => k.startsWith(':'))).toEqual([])
      expect(view.headers.host).toBe('API.example.com:8443')
      expect(view.headers['x-h']).toBe('v')
    } finally {
      s.close()
    }
  })

  it('Should proxy HTTP/2 to the HTTP/1.1 upstream, body included, without connection-specific response fields', async () => {
    const s = await session('example.com', example.cert)
    try {
      const reply = await h2request(s, { ':method': 'POST', ':path': '/up', ':authority': 'example.com', te: 'trailers' }, 'hello h2')
      expect(reply.status).toBe(200)
      const seen = JSON.parse(reply.body) as { method: string; bytes: number; headers: Record<string, string> }
      expect(seen.method).toBe('POST')
      expect(seen.bytes).toBe(8)
      expect(seen.headers.host).toBe('example.com')
      expect(seen.headers.te).toBeUndefined()
      expect(seen.headers['x-forwarded-proto']).toBe('https')
      expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2'])
      expect(reply.headers.connection).toBeUndefined()
      expect(reply.headers['keep-alive']).toBeUndefined()
    } finally {
      s.close()
    }
  })

  it('Should reset only the stream when the upstream fails mid-body, keeping the session', async () => {
    const s = await session('example.com', example.cert)
    try {
      const failure = await new Promise<unknown>((resolve) => {
        const stream = s.request({ ':path': '/reset', ':authority': 'example.com' })
        stream.on('data', () => {})
        stream.on('end', () => resolve('ended'))
        stream.on('error', (err) => resolve(err))
        stream.on('close', () => resolve(stream.rstCode))
      })
      expect(failure).not.toBe('ended')
      const after = await h2request(s, { ':path': '/view', ':authority': 'example.com' })
      expect(after.status).toBe(200)
    } finally {
      s.close()
    }
  })

  it('Should survive an upstream that fails in the middle of an HTTP/2 upload', async () => {
    const s = await session('example.com', example.cert)
    try {
      const outcome = await new Promise<string>((resolve) => {
        const stream = s.request({ ':method': 'POST', ':path': '/upload-reset', ':authority': 'example.com' })
        let status = 0
        stream.on('response', (h) => (status = Number(h[':status'])))
        stream.on('data', () => {})
        stream.on('end', () => resolve(`status ${status}`))
        stream.on('error', () => resolve('reset'))
        // More than the upstream socket buffers, so the failure lands mid-upload.
        const chunk = Buffer.alloc(64 * 1024)
        let n = 0
        const write = () => {
          while (n++ < 200) if (!stream.write(chunk)) return void stream.once('drain', write)
          stream.end()
        }
        write()
      })
      expect(['status 502', 'reset']).toContain(outcome)
      expect((await h2request(s, { ':path': '/view', ':authority': 'example.com' })).status).toBe(200)
    } finally {
      s.close()
    }
  })

  it('Should serve HTTP/1.1 over TLS on the same port, with the certificate SNI selects [cap node tls]', async () => {
    const { body, cn } = await new Promise<{ body: string; cn: string }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: proxy.port, path: '/view', servername: 'other.test', ca: other.cert, headers: { host: 'other.test' }, agent: false },
        (res) => {
          const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN)
          let text = ''
          res.on('data', (d) => (text += d))
          res.on('end', () => resolve({ body: text, cn }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(cn).toBe('other.test')
    expect(JSON.parse(body)).toMatchObject({ sni: 'other.test', authority: 'other.test', httpVersion: '1.1', scheme: 'https' })
  })

  it('Should use the default certificate for a client without SNI', async () => {
    const s = await session(undefined, example.cert)
    try {
      const reply = await h2request(s, { ':path': '/view', ':authority': 'example.com' })
      const view = JSON.parse(reply.body) as { sni?: string }
      expect(view.sni).toBeUndefined()
    } finally {
      s.close()
    }
  })

  it('Should refuse an HTTP/2 request whose Host disagrees with :authority', async () => {
    const s = await session('example.com', example.cert)
    try {
      const reply = await h2request(s, { ':path': '/view', ':authority': 'example.com', host: 'evil.example.com' })
      expect(reply.status).toBe(400)
      expect(reply.headers['x-weft-error']).toBe('ERR_BAD_REQUEST')
      expect(reply.body).toMatch(/disagree/)
    } finally {
      s.close()
    }
  })

  it('Should answer an HTTP/2 CONNECT with a reason', async () => {
    const s = await session('example.com', example.cert)
    try {
      const reply = await h2request(s, { ':method': 'CONNECT', ':authority': 'example.com:443' })
      expect(reply.status).toBe(400)
      expect(reply.body).toMatch(/CONNECT is not supported/)
    } finally {
      s.close()
    }
  })

  it('Should close idle HTTP/1.1-over-TLS keep-alive connections on close', async () => {
    const l = await listen({ address: '127.0.0.1', port: 0, tls: { SNICallback: (_n, cb) => cb(null, contexts.example), ...example }, handler: async () => textResponse(200, 'ok') })
    const agent = new HttpsAgent({ keepAlive: true, ca: example.cert, servername: 'example.com' })
    let socket: TLSSocket | undefined
    await new Promise<void>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: l.port, path: '/', agent, headers: { host: 'example.com' } }, (res) => {
        socket = res.socket as TLSSocket
        res.resume()
        res.on('end', resolve)
      }).on('error', reject).end()
    })
    const closed = new Promise((ok) => socket!.once('close', ok))
    const started = Date.now()
    await l.close()
    await closed
    expect(Date.now() - started).toBeLessThan(2000)
    agent.destroy()
  })

  it('Should send GOAWAY to HTTP/2 sessions on close and finish them', async () => {
    const l = await listen({ address: '127.0.0.1', port: 0, tls: { SNICallback: (_n, cb) => cb(null, contexts.example), ...example }, handler: async () => textResponse(200, 'ok') })
    const s = h2connect(`https://127.0.0.1:${l.port}`, { ca: example.cert, servername: 'example.com' })
    s.on('error', () => {})
    const goaway = new Promise((ok) => s.once('goaway', ok))
    const reply = await h2request(s, { ':path': '/', ':authority': 'example.com' })
    expect(reply.body).toBe('ok')
    await l.close()
    await goaway
  })
})
