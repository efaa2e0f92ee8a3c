/**
 * TLS under Deno, with real handshakes (certificates made here with openssl):
 * - the adapter's HTTPS listeners (node:http2 under Deno's Node compatibility):
 *   the certificate chosen per handshake by SNI, the SNI visible per request, HTTP/2 by
 *   ALPN and HTTP/1.1 on the same port;
 * - client certificates in: node:http2 under Deno requests one, verifies it against a
 *   CA (no certificate or an unknown issuer: the handshake fails) and reads it per
 *   request;
 * - client certificates out: Deno's fetch through Deno.createHttpClient({ cert, key,
 *   caCerts }) presents one to an upstream that requires it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import { startDeno, type DenoProcess } from './probes/deno-process.js'

const run = promisify(execFile)
type Pem = { cert: string; key: string }
let dir: string
let ca: Pem
let otherCa: Pem
const certs: Record<string, Pem> = {}

/** A P-256 key and a certificate for `cn` with `san`, signed by `issuer` (or a self-signed CA when none). */
async function make(name: string, cn: string, san: string | undefined, issuer?: { name: string }): Promise<Pem> {
  const key = join(dir, `${name}.key`)
  const crt = join(dir, `${name}.crt`)
  if (!issuer) {
    await run('openssl', ['req', '-x509', '-nodes', '-days', '2', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', key, '-out', crt, '-subj', `/CN=${cn}`])
  } else {
    const csr = join(dir, `${name}.csr`)
    const ext = join(dir, `${name}.ext`)
    await run('openssl', ['req', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`])
    await writeFile(ext, san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n')
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, `${issuer.name}.crt`), '-CAkey', join(dir, `${issuer.name}.key`), '-CAcreateserial', '-days', '2', '-out', crt, '-extfile', ext])
  }
  return { cert: await readFile(crt, 'utf8'), key: await readFile(key, 'utf8') }
}

let origin: Server
let probe: DenoProcess

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-deno-tls-'))
  ca = await make('ca', 'weft test CA', undefined)
  otherCa = await make('other-ca', 'someone else', undefined)
  certs.a = await make('a', 'a.test', 'DNS:a.test', { name: 'ca' })
  certs.b = await make('b', 'b.test', 'DNS:b.test', { name: 'ca' })
  certs.localhost = await make('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1', { name: 'ca' })
  certs.clientOne = await make('client-one', 'client-one', undefined, { name: 'ca' })
  certs.clientTwo = await make('client-two', 'client-two', undefined, { name: 'ca' })
  certs.rogue = await make('rogue', 'rogue', undefined, { name: 'other-ca' })
  origin = createServer((req, res) => {
    let n = 0
    req.on('data', (d: Buffer) => (n += d.length))
    req.on('end', () => res.end(JSON.stringify({ url: req.url, host: req.headers.host, bytes: n })))
  })
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startDeno('serve-probe.ts', {
    origin: (origin.address() as { port: number }).port,
    tls: [
      { ...certs.a, hostnames: ['a.test'] },
      { ...certs.b, hostnames: ['b.test'] },
    ],
  })
}, 60_000)

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** Handshake with `servername`, verifying the chain against our CA; the certificate presented and the ALPN result. */
function handshake(port: number, servername: string, alpn: string[]): Promise<{ peer: PeerCertificate; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port, servername, ca: ca.cert, ALPNProtocols: alpn }, () => {
      resolve({ peer: s.getPeerCertificate(), alpn: s.alpnProtocol ?? false })
      s.end()
    })
    s.on('error', reject)
  })
}

function https1(port: number, servername: string, path: string, host = servername, tls: Partial<Pem> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername, ca: ca.cert, headers: { host }, agent: false, ...tls }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function h2(port: number, servername: string, path: string, opts: { method?: string; body?: Buffer; authority?: string; tls?: Partial<Pem> & { checkServerIdentity?: () => undefined } } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://${opts.authority ?? servername}:${port}`, { host: '127.0.0.1', servername, ca: ca.cert, ...opts.tls })
    session.on('error', reject)
    const req = session.request({ ':path': path, ':method': opts.method ?? 'GET', ...(opts.authority && { ':authority': `${opts.authority}:${port}` }) })
    let status = 0
    let body = ''
    req.on('response', (h) => (status = Number(h[':status'])))
    req.setEncoding('utf8').on('data', (d: string) => (body += d))
    req.on('end', () => {
      session.close()
      resolve({ status, body })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

describe('Deno adapter HTTPS listeners (node:tls in front of Deno.serve)', () => {
  it('[cap deno tls] presents the certificate the SNI selects, per handshake, verified against its CA', async () => {
    const a = await handshake(probe.port, 'a.test', ['http/1.1'])
    const b = await handshake(probe.port, 'b.test', ['http/1.1'])
    expect(a.peer.subject.CN).toBe('a.test')
    expect(b.peer.subject.CN).toBe('b.test')
    expect(a.peer.issuer.CN).toBe('weft test CA')
  })

  it('[cap deno tls] the handler sees scheme https and the connection SNI, which may differ from Host; forwards over HTTP/1.1', async () => {
    const view = JSON.parse((await https1(probe.port, 'a.test', '/view', 'b.test')).body) as Record<string, unknown>
    expect(view).toMatchObject({ scheme: 'https', sni: 'a.test', host: 'b.test', httpVersion: '1.1', signal: true })
    const fwd = await https1(probe.port, 'b.test', '/via?x=1')
    expect(fwd.status).toBe(200)
    expect(JSON.parse(fwd.body)).toEqual({ url: '/via?x=1', host: 'b.test', bytes: 0 })
  })

  it('[cap deno http2] negotiates h2 by ALPN (http/1.1 still offered) and serves HTTP/2 requests with bodies', async () => {
    expect((await handshake(probe.port, 'a.test', ['h2', 'http/1.1'])).alpn).toBe('h2')
    expect((await handshake(probe.port, 'a.test', ['http/1.1'])).alpn).toBe('http/1.1')
    const view = JSON.parse((await h2(probe.port, 'b.test', '/view')).body) as Record<string, unknown>
    expect(view).toMatchObject({ scheme: 'https', sni: 'b.test', host: 'b.test', httpVersion: '2.0' })
    const up = await h2(probe.port, 'a.test', '/upload', { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 1) })
    expect(up.status).toBe(200)
    expect(JSON.parse(up.body)).toEqual({ url: '/upload', host: `a.test:${probe.port}`, bytes: 3 * 1024 * 1024 })
  })
})

describe('Deno adapter HTTPS listeners: connection handling of the TLS front', () => {
  it('a client that shuts its side down after the request (FIN) still gets the answer', async () => {
    // Deno.serve (hyper) drops a connection whose read side ends; the front keeps the
    // client half-open instead of passing its end on (tls-front.ts).
    const got = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: probe.port, servername: 'a.test', ca: ca.cert }, () => {
        s.end('GET /half HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n')
      })
      let b = ''
      s.setEncoding('utf8').on('data', (d: string) => (b += d))
      s.on('close', () => resolve(b))
      s.on('error', reject)
    })
    expect(got).toMatch(/^HTTP\/1\.1 200 /)
    expect(got).toContain('"url":"/half"')
  })
})

describe("Deno.serve's own TLS (why the adapter does not use it for HTTPS ports)", () => {
  it('presents its one certificate whatever the SNI, and tells the handler no SNI (h2 it does negotiate)', async () => {
    const p = await startDeno('deno-serve-tls-probe.ts', certs.a)
    try {
      const other = await new Promise<{ cn: string; alpn: string | false }>((resolve, reject) => {
        const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port: p.port, servername: 'b.test', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
          resolve({ cn: s.getPeerCertificate().subject.CN as string, alpn: s.alpnProtocol ?? false })
          s.end()
        })
        s.on('error', reject)
      })
      expect(other).toEqual({ cn: 'a.test', alpn: 'h2' })
      const r = JSON.parse((await h2(p.port, 'b.test', '/', { authority: 'a.test', tls: { checkServerIdentity: () => undefined } })).body) as { url: string; info: string[] }
      // The URL carries :authority (a.test), not the SNI (b.test); the info argument has no SNI either.
      expect(r.url).toBe(`https://a.test:${p.port}/`)
      expect(r.info.filter((k) => /sni|server.?name/i.test(k))).toEqual([])
      expect(r.info).toContain('remoteAddr')
    } finally {
      await p.stop()
    }
  })
})

describe('client certificates under Deno', () => {
  let server: DenoProcess
  beforeAll(async () => {
    server = await startDeno('client-cert-in-probe.ts', { ...certs.localhost, ca: ca.cert })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('[cap deno client-cert-in] node:http2 under Deno requests and verifies a client certificate and reads it per request (HTTP/1.1 and h2)', async () => {
    const one = JSON.parse((await https1(server.port, 'localhost', '/', 'localhost', certs.clientOne)).body) as Record<string, unknown>
    expect(one).toMatchObject({ authorized: true, subject: 'client-one', issuer: 'weft test CA', httpVersion: '1.1' })
    const two = JSON.parse((await h2(server.port, 'localhost', '/', { tls: certs.clientTwo })).body) as Record<string, unknown>
    expect(two).toMatchObject({ authorized: true, subject: 'client-two', httpVersion: '2.0' })
    expect(two.fingerprint256).not.toBe(one.fingerprint256)
  })

  it('[cap deno client-cert-in] a handshake without a client certificate, or with one from another CA, fails', async () => {
    await expect(https1(server.port, 'localhost', '/', 'localhost')).rejects.toThrow()
    await expect(https1(server.port, 'localhost', '/', 'localhost', certs.rogue)).rejects.toThrow()
  })

  describe('out: Deno.createHttpClient({ cert, key, caCerts })', () => {
    let upstream: ReturnType<typeof createHttpsServer>
    let port: number
    beforeAll(async () => {
      upstream = createHttpsServer({ ...certs.localhost, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate()
        res.end(`hello ${peer.subject?.CN}`)
      })
      await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok))
      port = (upstream.address() as { port: number }).port
    })
    afterAll(async () => {
      upstream?.closeAllConnections()
      await new Promise((ok) => upstream?.close(ok))
    })

    it('[cap deno client-cert-out] the Deno upstream presents a client certificate to an upstream that requires one', async () => {
      const p = await startDeno('client-cert-out-probe.ts', { port, caCert: ca.cert, ...certs.clientOne }, 'status')
      const r = p.lines.find((l) => 'status' in l)!
      await p.stop()
      expect(r).toEqual({ status: 200, body: 'hello client-one' })
    })

    it('[cap deno client-cert-out] without one the upstream refuses the handshake: 502 ERR_UPSTREAM_CONNECT', async () => {
      const p = await startDeno('client-cert-out-probe.ts', { port, caCert: ca.cert }, 'error')
      const r = p.lines.find((l) => 'error' in l)!
      await p.stop()
      expect(r).toMatchObject({ code: 'ERR_UPSTREAM_CONNECT', status: 502 })
      expect(String(r.error)).toMatch(/^could not connect to upstream localhost:\d+/)
    })
  })
})
