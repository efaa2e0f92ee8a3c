/**
 * Mutual TLS on Node, with real handshakes: a node:tls listener (the https server the
 * Node adapter's TLS listeners are made of) can request and verify a client
 * certificate and show it per request (client-cert-in), and undici, the Node
 * adapter's upstream client, can present one (client-cert-out). Identity (mTLS between
 * sidecars) builds on both. Certificates: made with openssl per run (makePki).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { X509Certificate } from 'node:crypto'
import { createServer, request as httpsRequest, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Agent, request } from 'undici'
import { makePki, type Pem, type Pki } from '../bun/probes/certs.js'

let pki: Pki
let server: Server
let port: number

beforeAll(async () => {
  pki = await makePki()
  server = createServer({ ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ authorized: socket.authorized, cn: peer.subject?.CN ?? null, fingerprint256: peer.fingerprint256 ?? null }))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  port = (server.address() as AddressInfo).port
}, 30_000)

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((ok) => server?.close(ok))
})

/** GET / over node:https, optionally with a client certificate. */
function httpsGet(client: Pem | undefined): Promise<{ authorized: boolean; cn: string | null; fingerprint256: string | null }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca: pki.ca.cert, agent: false, ...(client && { cert: client.cert, key: client.key }) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve(JSON.parse(body)))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('client certificates on Node', () => {
  it('[cap node client-cert-in] a node:tls listener with requestCert verifies the client certificate against the CA and shows it per request', async () => {
    // The very certificate the client holds, not just any name.
    expect(await httpsGet(pki.client)).toEqual({ authorized: true, cn: 'client-a', fingerprint256: new X509Certificate(pki.client.cert).fingerprint256 })
  })

  it('[cap node client-cert-in] with rejectUnauthorized the handshake refuses a client whose certificate is not from the CA, or who has none', async () => {
    await expect(httpsGet(pki.intruder)).rejects.toThrow()
    await expect(httpsGet(undefined)).rejects.toThrow()
  })

  it('[cap node client-cert-out] undici presents a client certificate upstream (Agent connect: { cert, key, ca })', async () => {
    const agent = new Agent({ connect: { cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert } })
    try {
      const r = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent })
      expect(r.statusCode).toBe(200)
      expect(await r.body.json()).toMatchObject({ authorized: true, cn: 'client-a' })
    } finally {
      await agent.close()
    }
    // Without one, the same server refuses the handshake: the certificate is what got through.
    const bare = new Agent({ connect: { ca: pki.ca.cert } })
    try {
      await expect(request(`https://127.0.0.1:${port}/`, { dispatcher: bare })).rejects.toThrow()
    } finally {
      await bare.close()
    }
  })
})
