/**
 * @module
 * A relay between one proxy under test and the real `weft control`: every request is
 * passed through (long-polls included), so the proxy is fed by the real control plane.
 * Two switches make the failures the black-box suite needs without touching the
 * control plane:
 * - `tamper`: bundles (`GET /v1/bundles/…` answered 200) are served with their payload
 *   rewritten (`g-reject` → `forged`) under the original signature, as a man in the
 *   middle would; a proxy must refuse them and keep serving what it had.
 * - `close()`: the control plane is unreachable for this proxy (connection refused),
 *   while the others sharing the control plane keep it.
 *
 * @example
 * const relay = await startRelay(control.url)
 * relay.tamper = true            // the next bundles are forged
 * await relay.close()            // control plane "down" for this proxy
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'

export interface Relay {
  url: string
  tamper: boolean
  /** Bundles served forged so far. */
  tampered: number
  /** Bundles served (200) so far, forged or not. */
  served: number
  close(): Promise<void>
}

/** Replace the payload of a compact JWS, keeping its protected header and signature. */
export function forge(jws: string): string {
  const [h, p, s] = jws.split('.')
  if (h === undefined || p === undefined || s === undefined) return jws
  const payload = Buffer.from(p, 'base64url').toString('utf8').replaceAll('g-reject', 'forged')
  return `${h}.${Buffer.from(payload).toString('base64url')}.${s}`
}

export async function startRelay(controlUrl: string): Promise<Relay> {
  const target = new URL(controlUrl)
  const sockets = new Set<Socket>()
  const state = { tamper: false, tampered: 0, served: 0 }
  const server: Server = createServer((req, res) => {
    const isBundle = req.method === 'GET' && (req.url ?? '').startsWith('/v1/bundles/')
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (upRes) => {
        if (!isBundle || upRes.statusCode !== 200) {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          upRes.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        upRes.on('data', (c: Buffer) => chunks.push(c))
        upRes.on('end', () => {
          // The control plane gzips bundles for clients that accept it: forge the JWS
          // inside, and send it on encoded the same way.
          const gzip = upRes.headers['content-encoding'] === 'gzip'
          let body = Buffer.concat(chunks)
          if (state.tamper) {
            const forged = forge((gzip ? gunzipSync(body) : body).toString('utf8'))
            body = gzip ? gzipSync(forged) : Buffer.from(forged)
            state.tampered++
          }
          state.served++
          const headers = { ...upRes.headers, 'content-length': String(body.length) }
          delete headers['transfer-encoding']
          res.writeHead(200, headers).end(body)
        })
      },
    )
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('relay: control plane unreachable')
      else res.destroy()
    })
    // The proxy gave up (long-poll aborted, proxy stopped): give up upstream too.
    res.on('close', () => up.destroy())
    req.pipe(up)
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    get tamper() {
      return state.tamper
    },
    set tamper(v: boolean) {
      state.tamper = v
    },
    get tampered() {
      return state.tampered
    },
    get served() {
      return state.served
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok())
        for (const s of sockets) s.destroy()
      }),
  }
}
