/**
 * @module
 * A Bun process for runtime/bun/tls.test.ts and client-cert.test.ts: what Bun's TLS
 * can do, each mode one question. Configured by WEFT_PROBE (JSON):
 *
 * - `{ mode: 'bun-serve', cert, key, ca?, requestCert?, rejectUnauthorized? }`:
 *   Bun.serve with `tls`; answers every request with what a handler can see of the
 *   connection (`url`, and the Request's and Server's own property names). With
 *   `reloadWith: {cert, key}`, `GET /reload` calls `server.reload()` with that
 *   certificate.
 * - `{ mode: 'node-server', cert, key, ca, rejectUnauthorized }`: node:http2
 *   `createSecureServer` (allowHTTP1, `requestCert`) under Bun's Node compatibility;
 *   answers with the peer certificate it verified.
 * - `{ mode: 'fetch', url, tls }`: one `fetch(url, { tls })` (a client certificate
 *   presented upstream); prints `{"status", "body"}` or `{"error"}`.
 *
 * Servers print `{"port":N}` once listening.
 */
import { createSecureServer } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import { bun, type BunServer, type BunTls } from '../bun-types.js'

type Config =
  | ({ mode: 'bun-serve'; reloadWith?: { cert: string; key: string } } & BunTls & { cert: string; key: string })
  | { mode: 'node-server'; cert: string; key: string; ca: string; rejectUnauthorized: boolean }
  | { mode: 'fetch'; url: string; tls: { cert?: string; key?: string; ca?: string } }

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as Config

if (cfg.mode === 'bun-serve') {
  const { mode: _mode, reloadWith, ...tls } = cfg
  const handler = (request: Request, srv: BunServer): Response => {
    if (reloadWith && new URL(request.url).pathname === '/reload') {
      srv.reload({ fetch: handler, tls: { ...tls, ...reloadWith } })
      return new Response('reloaded')
    }
    const names = (o: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(o))
    return new Response(JSON.stringify({ url: request.url, request: names(request), server: names(srv) }))
  }
  const server = bun().serve({ hostname: '127.0.0.1', port: 0, tls, fetch: handler })
  console.log(JSON.stringify({ port: server.port }))
} else if (cfg.mode === 'node-server') {
  const server = createSecureServer(
    { cert: cfg.cert, key: cfg.key, ca: cfg.ca, requestCert: true, rejectUnauthorized: cfg.rejectUnauthorized, allowHTTP1: true },
    (req, res) => {
      const socket = (req.httpVersionMajor === 2 ? req.stream.session?.socket : req.socket) as TLSSocket
      const peer = socket.getPeerCertificate()
      res.end(
        JSON.stringify({
          httpVersion: req.httpVersion,
          authorized: socket.authorized,
          authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
          subjectCN: peer?.subject?.CN ?? null,
          fingerprint256: peer?.fingerprint256 ?? null,
        }),
      )
    },
  )
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })))
} else if (cfg.mode === 'fetch') {
  try {
    const f = bun().fetch ?? fetch
    const res = await f(cfg.url, { tls: cfg.tls })
    console.log(JSON.stringify({ port: 0, status: res.status, body: await res.text() }))
  } catch (err) {
    console.log(JSON.stringify({ port: 0, error: String((err as Error).message ?? err), code: (err as { code?: string }).code ?? null }))
  }
}
