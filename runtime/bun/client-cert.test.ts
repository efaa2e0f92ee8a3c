/**
 * Mutual TLS under Bun, with real handshakes (certificates from probes/certs.ts):
 * can a Bun TLS listener request and verify a client certificate and show it to the
 * handler per request (client-cert-in), and can Bun's fetch present one to an
 * upstream (client-cert-out)? Identity (mTLS between sidecars) depends on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { X509Certificate } from 'node:crypto'
import { connect as h2connect } from 'node:http2'
import { createServer as createHttps, request as httpsRequest, type Server } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { makePki, type Pem, type Pki } from './probes/certs.js'
import { startBun, type BunProcess } from './probes/bun-process.js'

let pki: Pki

beforeAll(async () => {
  pki = await makePki()
})

type Seen = { httpVersion: string; authorized: boolean; authorizationError: string | null; subjectCN: string | null; fingerprint256: string | null }

function h1(port: number, client: Pem | undefined): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca: pki.ca.cert, agent: false, ...(client && { cert: client.cert, key: client.key }) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve(JSON.parse(body) as Seen))
    })
    req.on('error', reject)
    req.end()
  })
}

function h2(port: number, client: Pem | undefined): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { ca: pki.ca.cert, ...(client && { cert: client.cert, key: client.key }) })
    session.on('error', reject)
    const stream = session.request({ ':path': '/' })
    let body = ''
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => (body += d))
    stream.on('end', () => {
      session.close()
      resolve(JSON.parse(body) as Seen)
    })
    stream.on('error', reject)
  })
}

describe('client certificates in: a Bun TLS listener verifying the client', () => {
  let optional: BunProcess
  let required: BunProcess

  beforeAll(async () => {
    const base = { mode: 'node-server', ...pki.server, ca: pki.ca.cert }
    optional = await startBun('tls-probe.ts', { ...base, rejectUnauthorized: false })
    required = await startBun('tls-probe.ts', { ...base, rejectUnauthorized: true })
  })

  afterAll(async () => {
    await optional?.stop()
    await required?.stop()
  })

  it('[cap bun client-cert-in] node:http2 under Bun requests a client certificate, verifies it against the CA, and shows it per request (HTTP/1.1 and HTTP/2)', async () => {
    const fingerprint = new X509Certificate(pki.client.cert).fingerprint256
    for (const send of [h1, h2]) {
      const ok = await send(optional.port, pki.client)
      expect(ok).toMatchObject({ authorized: true, authorizationError: null, subjectCN: 'client-a', fingerprint256: fingerprint })
      const intruder = await send(optional.port, pki.intruder)
      expect(intruder.authorized).toBe(false)
      expect(intruder.subjectCN).toBe('intruder')
      expect(intruder.authorizationError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|unable to get local issuer/i)
      const none = await send(optional.port, undefined)
      expect(none.authorized).toBe(false)
      expect(none.subjectCN).toBeNull()
    }
    expect((await h2(optional.port, pki.client)).httpVersion).toBe('2.0')
  })

  it('[cap bun client-cert-in] with rejectUnauthorized the handshake refuses a client whose certificate is not from the CA, or who has none', async () => {
    expect((await h1(required.port, pki.client)).subjectCN).toBe('client-a')
    await expect(h1(required.port, pki.intruder)).rejects.toThrow()
    await expect(h1(required.port, undefined)).rejects.toThrow()
  })

  it('Bun.serve tls.requestCert verifies the client at the handshake, but gives the handler no way to read the certificate (why HTTPS listeners use node:http2 under Bun)', async () => {
    const p = await startBun('tls-probe.ts', { mode: 'bun-serve', ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true })
    try {
      const seen = (await h1(p.port, pki.client)) as unknown as { request: string[]; server: string[] }
      await expect(h1(p.port, pki.intruder)).rejects.toThrow()
      await expect(h1(p.port, undefined)).rejects.toThrow()
      const peerApi = /peer|cert|tls/i
      expect(seen.request.filter((n) => peerApi.test(n))).toEqual([])
      expect(seen.server.filter((n) => peerApi.test(n))).toEqual([])
    } finally {
      await p.stop()
    }
  })
})

describe('client certificates out: Bun fetch presenting one upstream', () => {
  let upstream: Server
  let port: number

  beforeAll(async () => {
    upstream = createHttps({ ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(`hello ${(req.socket as TLSSocket).getPeerCertificate().subject.CN}`)
    })
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok))
    port = (upstream.address() as { port: number }).port
  })

  afterAll(async () => {
    upstream?.closeAllConnections()
    await new Promise((ok) => upstream?.close(ok))
  })

  async function bunFetch(tls: Record<string, string>): Promise<{ status?: number; body?: string; error?: string }> {
    const p = await startBun('tls-probe.ts', { mode: 'fetch', url: `https://127.0.0.1:${port}/`, tls })
    try {
      return await p.waitFor('port')
    } finally {
      await p.stop()
    }
  }

  it('[cap bun client-cert-out] fetch(url, { tls: { cert, key, ca } }) presents the client certificate and verifies the server against ca', async () => {
    expect(await bunFetch({ ...pki.client, ca: pki.ca.cert })).toMatchObject({ status: 200, body: 'hello client-a' })
    // The server refuses the handshake without a client certificate.
    expect((await bunFetch({ ca: pki.ca.cert })).error).toBeTruthy()
    // And Bun refuses a server its ca does not vouch for.
    const distrust = await bunFetch({ ...pki.client, ca: pki.intruder.cert })
    expect(distrust.error).toBeTruthy()
    expect(distrust.status).toBeUndefined()
  })
})
