/**
 * The Bun adapter's upstream (Bun's fetch, runtime/bun/upstream.ts) as a proxy needs
 * it, through a real `bun` process (probes/serve-probe.ts) in front of a Node origin
 * that counts its connections and shows what it received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'
import { startBun, type BunProcess } from './probes/bun-process.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('default\n')
let connections = 0
let origin: Server
let probe: BunProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  origin.keepAliveTimeout = 30_000
  origin.on('connection', () => connections++)
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: probe.port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('Bun fetch upstream', () => {
  it('[cap bun upstream-pool] keeps upstream connections alive: 20 sequential requests use one connection, a second concurrent burst opens none', async () => {
    route = (_req, res) => res.end('ok\n')
    await get('/warm')
    const before = connections
    for (let i = 0; i < 20; i++) expect((await get(`/seq/${i}`)).status).toBe(200)
    expect(connections - before).toBe(0)
    // Concurrency 8: up to 8 connections for the first burst, reused by the second.
    route = (_req, res) => setTimeout(() => res.end('ok\n'), 50)
    await Promise.all(Array.from({ length: 8 }, (_, i) => get(`/burst1/${i}`)))
    const afterFirst = connections
    expect(afterFirst - before).toBeLessThanOrEqual(8)
    await Promise.all(Array.from({ length: 8 }, (_, i) => get(`/burst2/${i}`)))
    expect(connections).toBe(afterFirst)
  })

  it("[cap bun upstream-pool] sends the client's Host, not the endpoint's address", async () => {
    route = (req, res) => res.end(JSON.stringify(req.headers.host))
    expect(JSON.parse((await get('/h', { host: 'shop.example:8080' })).body.toString())).toBe('shop.example:8080')
  })

  it('[cap bun upstream-pool] passes a gzip body through as gzip (decompress: false) and adds no Accept-Encoding', async () => {
    const gz = gzipSync(Buffer.from('x'.repeat(10_000)))
    let seen: string | undefined = 'unset'
    route = (req, res) => {
      seen = req.headers['accept-encoding']
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length) })
      res.end(gz)
    }
    const r = await get('/gz')
    expect(seen).toBeUndefined()
    expect(r.headers['content-encoding']).toBe('gzip')
    expect(r.headers['content-length']).toBe(String(gz.length))
    expect(r.body.equals(gz)).toBe(true)
  })

  it('[cap bun upstream-pool] does not follow redirects: the 3xx goes back to the client', async () => {
    route = (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end()
    const r = await get('/moved')
    expect(r.status).toBe(302)
    expect(r.headers.location).toBe('/elsewhere')
  })

  it('adds User-Agent: Bun/VERSION and Accept: */* upstream when the client sent none (Bun fetch defaults; cannot be turned off)', async () => {
    route = (req, res) => res.end(JSON.stringify({ ua: req.headers['user-agent'], accept: req.headers.accept }))
    const none = JSON.parse((await get('/ua')).body.toString()) as { ua: string; accept: string }
    expect(none.ua).toMatch(/^Bun\/\d+\.\d+\.\d+/)
    expect(none.accept).toBe('*/*')
    const given = JSON.parse((await get('/ua', { 'user-agent': 'curl/8', accept: 'text/plain' })).body.toString()) as { ua: string; accept: string }
    expect(given).toEqual({ ua: 'curl/8', accept: 'text/plain' })
  })
})
