/**
 * The gateway Worker under Miniflare (a real workerd process) fed by a real
 * `weft control` process: routing, a bundle swap picked up on requests (max-age) and
 * by the Cron Trigger, 50 MB streamed each way without buffering, and the bundle kept
 * in KV serving a new Miniflare instance with the control plane down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEchoBackends, type EchoBackends } from '../fakes/echo-backend.js'
import { startWorkerdTarget, type WorkerdTarget } from '../support/workerd-target.js'
import { controlWithToken, eventually, podOf, rssMb, send, svc, type ControlWithToken } from './helpers.js'

const SIZE = 50 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')

let dir: string
let cp: ControlWithToken
let echo: EchoBackends
let bulk: Server
let bulkPort: number
let t: WorkerdTarget | undefined
let connections = 0

const gateway = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'edge', namespace: 'default' },
  spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
}
const route = (backend: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop', namespace: 'default' },
  spec: {
    parentRefs: [{ name: 'edge' }],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/bulk' } }], backendRefs: [{ name: 'bulk', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: backend, port: 80 }] },
    ],
  },
})

const stats = async () => (await (await fetch(`${t!.inboundUrl}/__weft/stats`)).json()) as { version: number; refreshes: number }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-workers-gateway-'))
  echo = await startEchoBackends([
    { namespace: 'default', name: 'api-v1' },
    { namespace: 'default', name: 'api-v2' },
  ])
  // /up counts what it receives; /down sends SIZE bytes.
  bulk = createServer((req, res) => {
    if (req.url === '/bulk/conn') return void res.end(String(connections))
    if (req.url === '/bulk/up') {
      let n = 0
      req.on('data', (d: Buffer) => (n += d.length))
      req.on('end', () => res.end(String(n)))
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE })
    let sent = 0
    const write = () => {
      while (sent < SIZE) {
        sent += CHUNK.length
        if (!res.write(CHUNK)) return void res.once('drain', write)
      }
      res.end()
    }
    write()
  })
  bulk.on('connection', () => connections++)
  await new Promise<void>((ok) => bulk.listen(0, '127.0.0.1', ok))
  bulkPort = (bulk.address() as AddressInfo).port
  cp = await controlWithToken(join(dir, 'control'), { gateway: 'default/edge' })
  await cp.apply([gateway, route('api-v1'), svc('api-v1', echo.ports.get('default/api-v1')!), svc('api-v2', echo.ports.get('default/api-v2')!), svc('bulk', bulkPort)])
  t = await startWorkerdTarget({ role: 'gateway', controlUrl: cp.control.url, trustJwks: cp.jwks, token: cp.token, gateway: 'default/edge', kvPersist: join(dir, 'kv'), maxAgeSeconds: 0.5 })
  await t.ready()
}, 60_000)

afterAll(async () => {
  await t?.stop()
  await cp?.control.stop('SIGKILL')
  await echo?.close()
  bulk?.closeAllConnections()
  await new Promise((ok) => bulk?.close(ok))
  rmSync(dir, { recursive: true, force: true })
})

describe('gateway Worker (workerd via Miniflare) fed by weft control', () => {
  it('[cap workerd serve] routes through the Gateway listener to the Service endpoints, 404 with x-weft-error when no rule matches', async () => {
    const r = await send(t!.url, '/api/items?q=1', { host: 'shop.example.com', 'x-custom': 'kept' })
    expect(r.status).toBe(200)
    expect(podOf(r)).toMatch(/^api-v1-/)
    const echoed = JSON.parse(r.body) as { path: string; headers: Record<string, string[]> }
    expect(echoed.path).toBe('/api/items?q=1')
    expect(echoed.headers['X-Custom']).toEqual(['kept'])
    expect(echoed.headers['X-Forwarded-Proto']).toEqual(['http'])
    const miss = await send(t!.url, '/elsewhere', { host: 'shop.example.com' })
    expect(miss.status).toBe(404)
    expect(miss.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
  })

  it('an unreachable endpoint is a 502 with x-weft-error ERR_UPSTREAM_CONNECT; the gateway keeps serving', async () => {
    const before = await stats()
    const dead = createServer()
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok))
    const deadPort = (dead.address() as AddressInfo).port
    await new Promise((ok) => dead.close(ok))
    const v = await cp.apply([svc('api-v1', deadPort)])
    await eventually(() => send(t!.url, '/api/x'), (r) => r.status === 502, 10_000, '502 from the dead endpoint')
    const r = await send(t!.url, '/api/x')
    expect(r.headers['x-weft-error']).toBe('ERR_UPSTREAM_CONNECT')
    await cp.apply([svc('api-v1', echo.ports.get('default/api-v1')!)])
    await eventually(() => send(t!.url, '/api/x'), (r) => r.status === 200, 10_000, 'api-v1 back')
    expect((await stats()).version).toBeGreaterThan(Math.max(before.version, v - 1))
  })

  it('[cap workerd upstream-pool] sequential requests reuse workerd\'s upstream connections (keep-alive)', async () => {
    const before = connections
    for (let i = 0; i < 20; i++) expect((await send(t!.url, '/bulk/conn')).status).toBe(200)
    const opened = connections - before
    expect(opened, `20 requests opened ${opened} upstream connections`).toBeLessThan(10)
  })

  it('[cap workerd hot-swap] a new bundle is picked up by refresh-on-request (max-age), without a restart', async () => {
    const v = await cp.apply([route('api-v2')])
    // Only requests: no refresh endpoint, no cron. The first requests after max-age still see the old snapshot.
    const r = await eventually(() => send(t!.url, '/api/swap'), (r) => podOf(r).startsWith('api-v2-'), 10_000, 'api-v2 serves after the apply')
    expect(r.status).toBe(200)
    expect((await stats()).version).toBe(v)
  })

  it('[cap workerd hot-swap] the Cron Trigger (scheduled handler) refreshes the bundle with no request at all', async () => {
    const before = await stats()
    const v = await cp.apply([route('api-v1')])
    expect((await stats()).version).toBe(before.version) // stats do not refresh
    // Fetcher.scheduled() runs the Worker's scheduled handler, as a Cron Trigger does (Miniflare's types omit it).
    const worker = (await t!.mf.getWorker()) as unknown as { scheduled(o: { cron: string }): Promise<{ outcome: string }> }
    expect((await worker.scheduled({ cron: '*/1 * * * *' })).outcome).toBe('ok')
    const after = await stats()
    expect(after.version).toBe(v)
    expect(podOf(await send(t!.url, '/api/cron'))).toMatch(/^api-v1-/)
  })

  it('[cap workerd streaming] streams 50 MB down and 50 MB up through the Worker; workerd memory stays far below the body size', async () => {
    const pid = t!.pid!
    expect(pid).toBeGreaterThan(0)
    const base = rssMb(pid)
    let peak = base
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20)
    try {
      const u = new URL(t!.url)
      const down = await new Promise<number>((resolve, reject) => {
        httpRequest({ host: u.hostname, port: u.port, path: '/bulk/down' }, (res) => {
          let n = 0
          res.on('data', (d: Buffer) => (n += d.length))
          res.on('end', () => resolve(n))
          res.on('error', reject)
        })
          .on('error', reject)
          .end()
      })
      expect(down).toBe(SIZE)
      const up = await new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: u.hostname, port: u.port, path: '/bulk/up', method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
          let b = ''
          res.on('data', (d: Buffer) => (b += d))
          res.on('end', () => resolve(b))
        }).on('error', reject)
        let sent = 0
        const write = () => {
          while (sent < SIZE) {
            sent += CHUNK.length
            if (!req.write(CHUNK)) return void req.once('drain', write)
          }
          req.end()
        }
        write()
      })
      expect(up).toBe(String(SIZE))
    } finally {
      clearInterval(sampler)
    }
    expect(peak - base, `workerd RSS grew from ${base.toFixed(0)} MB to ${peak.toFixed(0)} MB`).toBeLessThan(40)
  }, 60_000)

  it('[cap workerd persistence] a new Miniflare instance with the same persisted KV serves the kept bundle while the control plane is down', async () => {
    const version = (await stats()).version
    await t!.stop()
    t = undefined
    await cp.control.stop('SIGKILL')
    t = await startWorkerdTarget({ role: 'gateway', controlUrl: cp.control.url, trustJwks: cp.jwks, token: cp.token, gateway: 'default/edge', kvPersist: join(dir, 'kv') })
    const r = await send(t.url, '/api/after-restart')
    expect(r.status).toBe(200)
    expect(podOf(r)).toMatch(/^api-v1-/)
    const s = (await (await fetch(`${t.inboundUrl}/__weft/stats`)).json()) as { version: number; bundle: { source: string; lastError: { code: string } | null } }
    expect(s.version).toBe(version)
    expect(s.bundle.source).toBe('cache')
    expect(s.bundle.lastError?.code).toBe('ERR_BUNDLE_FETCH')
  }, 60_000)
})
