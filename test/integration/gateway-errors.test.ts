/**
 * Every error status of the request path, from a real gateway process: each answer has
 * a short body that says why and an x-weft-error code; malformed requests are refused
 * and the process keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import { edgeConfig, freePort, service, startGateway, type GatewayProcess } from './gateway-process.js'

let gw: GatewayProcess
let upstream: Server
let garbage: TcpServer
let port: number

function route(name: string, path: string, backend: string, extra = ''): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs: [{ name: ${backend}, port: 80 }]
${extra}`
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) setTimeout(() => res.end('late'), 1500)
    else res.end(`ok ${req.url}`)
  })
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok))
  const up = (upstream.address() as { port: number }).port
  // A backend that answers with something that is not HTTP, then hangs up.
  garbage = createTcpServer((sock) => sock.once('data', () => sock.end('NOT HTTP AT ALL\r\n\r\n')))
  await new Promise<void>((ok) => garbage.listen(0, '127.0.0.1', ok))
  const closed = await freePort()
  port = await freePort()
  gw = await startGateway(
    edgeConfig(
      port,
      route('ok', '/ok', 'up'),
      route('missing', '/missing-backend', 'does-not-exist'),
      route('empty', '/empty', 'empty'),
      route('refused', '/refused', 'refused'),
      route('slow', '/slow', 'up', '      timeouts: { request: 300ms }'),
      route('garbage', '/garbage', 'garbage'),
      service('up', [{ address: '127.0.0.1', port: up }]),
      service('empty', []),
      service('refused', [{ address: '127.0.0.1', port: closed }]),
      service('garbage', [{ address: '127.0.0.1', port: (garbage.address() as { port: number }).port }]),
    ),
  )
})

afterAll(async () => {
  await gw?.stop()
  upstream?.close()
  garbage?.close()
})

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers })
  return { status: res.status, code: res.headers.get('x-weft-error'), body: await res.text() }
}

/** Send raw bytes and read the status line of the answer. */
function raw(bytes: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let text = ''
    s.on('data', (d) => (text += d))
    s.on('error', reject)
    s.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text }))
    s.write(bytes)
    setTimeout(() => s.end(), 500)
  })
}

describe('error statuses', () => {
  it('Should answer 200 through a working route', async () => {
    expect(await get('/ok/x')).toMatchObject({ status: 200, body: 'ok /ok/x' })
  })

  it('Should answer 404 ERR_NO_ROUTE when nothing matches', async () => {
    const r = await get('/nothing-here')
    expect(r).toMatchObject({ status: 404, code: 'ERR_NO_ROUTE' })
    expect(r.body).toContain('no route matches GET')
  })

  it('Should answer 500 ERR_BACKEND_UNRESOLVED for a Service that does not exist', async () => {
    const r = await get('/missing-backend')
    expect(r).toMatchObject({ status: 500, code: 'ERR_BACKEND_UNRESOLVED' })
    expect(r.body).toContain('default/does-not-exist does not exist')
  })

  it('Should answer 503 ERR_NO_HEALTHY_UPSTREAM for a Service with no endpoints', async () => {
    expect(await get('/empty')).toMatchObject({ status: 503, code: 'ERR_NO_HEALTHY_UPSTREAM' })
  })

  it('Should answer 502 ERR_UPSTREAM_CONNECT when the endpoint refuses connections', async () => {
    const r = await get('/refused')
    expect(r).toMatchObject({ status: 502, code: 'ERR_UPSTREAM_CONNECT' })
    expect(r.body).toContain('could not connect to upstream 127.0.0.1:')
  })

  it('Should answer 502 ERR_UPSTREAM_RESET when the backend does not speak HTTP', async () => {
    expect(await get('/garbage')).toMatchObject({ status: 502, code: 'ERR_UPSTREAM_RESET' })
  })

  it('Should answer 504 ERR_UPSTREAM_TIMEOUT when the request timeout expires', async () => {
    const t0 = Date.now()
    const r = await get('/slow')
    expect(r).toMatchObject({ status: 504, code: 'ERR_UPSTREAM_TIMEOUT' })
    expect(Date.now() - t0).toBeLessThan(1400)
  })
})

describe('malformed requests', () => {
  it('Should refuse Content-Length together with Transfer-Encoding (smuggling)', async () => {
    const r = await raw('POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
    expect(r.status).toBe(400)
    expect(r.text.toLowerCase()).toContain('x-weft-error: err_bad_request')
  })

  it('Should refuse a duplicate Content-Length', async () => {
    const r = await raw('POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')
    expect(r.status).toBe(400)
  })

  it('Should refuse oversized headers with 431', async () => {
    const r = await raw(`GET /ok HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`)
    expect(r.status).toBe(431)
  })

  it('Should refuse invalid percent-encoding', async () => {
    const r = await raw('GET /ok/%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    expect(r.status).toBe(400)
    expect(r.text.toLowerCase()).toContain('x-weft-error: err_bad_request')
  })

  it('Should refuse a bad Host value', async () => {
    const r = await raw('GET /ok HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n')
    expect(r.status).toBe(400)
  })

  it('Should keep serving after all of that', async () => {
    expect(await get('/ok/after')).toMatchObject({ status: 200 })
    expect(gw.exitStatus()).toBeUndefined()
  })
})
