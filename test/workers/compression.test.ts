/**
 * A compressed response through the gateway Worker: workerd's fetch would decode a gzip
 * body when read, but a body passed on untouched goes out as the upstream sent it —
 * the same bytes, Content-Encoding and Content-Length, whatever the client accepts (a
 * proxy does not transcode). docs/workers.md, "Compression".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import { startWorkerdTarget, type WorkerdTarget } from '../support/workerd-target.js'

const TEXT = 'hello '.repeat(1000)
const GZ = gzipSync(Buffer.from(TEXT))
let srv: Server
let t: WorkerdTarget

beforeAll(async () => {
  srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': GZ.length, 'content-type': 'text/plain' })
    res.end(GZ)
  })
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))
  const port = (srv.address() as AddressInfo).port
  const config = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec: { gatewayClassName: weft, listeners: [{ name: http, port: 80, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: default }
spec: { parentRefs: [{ name: edge }], rules: [{ backendRefs: [{ name: gz, port: 80 }] }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: gz, namespace: default }
spec: { ports: [{ port: 80 }], endpoints: [{ address: 127.0.0.1, port: ${port} }] }
`
  t = await startWorkerdTarget({ role: 'gateway', controlUrl: '', trustJwks: '', token: '', gateway: 'default/edge', config })
}, 60_000)

afterAll(async () => {
  await t?.stop()
  srv?.closeAllConnections()
  await new Promise((ok) => srv?.close(ok))
})

function get(acceptEncoding: string | undefined): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(t.url)
  return new Promise((ok, fail) =>
    request({ host: u.hostname, port: u.port, path: '/', headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => ok({ headers: res.headers, body: Buffer.concat(chunks) }))
    })
      .on('error', fail)
      .end(),
  )
}

describe('gateway Worker: compressed responses', () => {
  it.each([['gzip'], [undefined]])('a gzip response goes out as the upstream sent it (Accept-Encoding %s)', async (ae) => {
    const r = await get(ae)
    expect(r.headers['content-encoding']).toBe('gzip')
    expect(r.headers['content-length']).toBe(String(GZ.length))
    expect(r.body.equals(GZ)).toBe(true)
    expect(gunzipSync(r.body).toString()).toBe(TEXT)
  })
})
