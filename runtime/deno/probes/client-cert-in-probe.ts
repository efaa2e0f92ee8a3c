/**
 * @module
 * A Deno process for tls.test.ts: an HTTPS listener on node:http2 `createSecureServer`
 * under Deno's Node compatibility (what the Deno adapter's HTTPS ports are, see
 * serve-node.ts) that requests a client certificate, verifies it against the given CA
 * (handshakes without a valid one fail), and answers each request with the
 * certificate its connection presented. Deno.serve has no option to request one.
 * Configured by WEFT_PROBE (JSON: { cert, key, ca }); prints `{"port":N}`.
 */
import { createSecureServer } from 'node:http2'
import type { TLSSocket } from 'node:tls'

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { cert: string; key: string; ca: string }
const server = createSecureServer(
  { allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'], cert: cfg.cert, key: cfg.key, ca: cfg.ca, requestCert: true, rejectUnauthorized: true },
  (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    res.end(JSON.stringify({ authorized: socket.authorized, subject: peer.subject?.CN ?? null, issuer: peer.issuer?.CN ?? null, fingerprint256: peer.fingerprint256 ?? null, httpVersion: req.httpVersion }))
  },
)
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })))
process.once('SIGTERM', () => server.close(() => process.exit(0)))
