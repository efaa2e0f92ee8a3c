/**
 * Bodies stream through the Bun adapter both ways without being held whole: with the
 * far end paused, the near end can only push a bounded amount through the proxy
 * (backpressure end to end), and the bun process's peak memory stays far below the
 * body size. Generous timeouts: the machine running the suite may be busy. Plain HTTP here (Bun.serve + Bun fetch); HTTPS in tls.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { peakRssMb, startBun, type BunProcess } from './probes/bun-process.js'

const MB = 1024 * 1024
const TOTAL = 64 * MB
const CHUNK = Buffer.alloc(64 * 1024, 0x78)
/** How far one side may get ahead of a paused other side (socket buffers and a few stream chunks). */
const AHEAD_LIMIT = 32 * MB
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler
let origin: Server
let probe: BunProcess

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  probe = await startBun('serve-probe.ts', { origin: (origin.address() as { port: number }).port })
})

afterAll(async () => {
  await probe?.stop()
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
})

/** Write TOTAL bytes to `w` with backpressure; `sent()` says how far it got. */
function pump(w: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(): void }): { sent: () => number } {
  let sent = 0
  const go = () => {
    while (sent < TOTAL) {
      sent += CHUNK.length
      if (!w.write(CHUNK)) return void w.once('drain', go)
    }
    w.end()
  }
  go()
  return { sent: () => sent }
}

describe('streaming through Bun.serve and Bun fetch', () => {
  it('[cap bun streaming] a 64 MB response: the origin is held back while the client does not read, all of it arrives, memory stays bounded', async () => {
    let origin$!: { sent: () => number }
    route = (_req, res) => {
      res.writeHead(200, { 'content-length': String(TOTAL) })
      origin$ = pump(res)
    }
    const base = peakRssMb(probe.pid)
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: probe.port, path: '/download', agent: false }, async (res) => {
        res.pause()
        await sleep(1_000)
        // Paused client: only what fits in the socket buffers and a few chunks in Bun got through.
        expect(origin$.sent()).toBeLessThan(AHEAD_LIMIT)
        let n = 0
        res.on('data', (d: Buffer) => (n += d.length))
        res.on('end', () => resolve(n))
        res.resume()
      })
      req.on('error', reject)
      req.end()
    })
    expect(received).toBe(TOTAL)
    expect(peakRssMb(probe.pid) - base).toBeLessThan(TOTAL / MB / 2)
  }, 60_000)

  it('[cap bun streaming] a 64 MB upload: the client is held back while the origin does not read, all of it arrives, memory stays bounded', async () => {
    let upstreamReq!: IncomingMessage
    let arrived!: () => void
    const atOrigin = new Promise<void>((ok) => (arrived = ok))
    route = (req, res) => {
      upstreamReq = req
      req.pause()
      let n = 0
      req.on('data', (d: Buffer) => (n += d.length))
      req.on('end', () => res.end(String(n)))
      arrived()
    }
    const base = peakRssMb(probe.pid)
    let client$!: { sent: () => number }
    const done = new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: probe.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-length': String(TOTAL) } },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (body += d))
          res.on('end', () => resolve(body))
        },
      )
      req.on('error', reject)
      client$ = pump(req)
    })
    await atOrigin
    await sleep(1_000)
    expect(client$.sent()).toBeLessThan(AHEAD_LIMIT)
    upstreamReq.resume()
    expect(await done).toBe(String(TOTAL))
    expect(peakRssMb(probe.pid) - base).toBeLessThan(TOTAL / MB / 2)
  }, 60_000)

  it('[cap bun streaming] the first bytes of a response reach the client before the origin has sent the rest', async () => {
    let finish!: () => void
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first\n')
      finish = () => res.end('last\n')
    }
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: probe.port, path: '/sse', agent: false }, (res) => {
        let got = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          got += d
          if (got === 'first\n') finish()
        })
        res.on('end', () => resolve(got))
      })
      req.on('error', reject)
      req.end()
    })
    expect(body).toBe('first\nlast\n')
  })

  it('[cap bun streaming] an upstream body that fails mid-way aborts the client response: a truncated body never ends cleanly', async () => {
    for (const framing of ['chunked', 'content-length']) {
      route = (req, res) => {
        res.writeHead(200, framing === 'chunked' ? {} : { 'content-length': '100000' })
        res.write('partial')
        setTimeout(() => req.socket.destroy(), 50)
      }
      const outcome = await new Promise<string>((resolve) => {
        let body = ''
        let head = false
        const req = request({ host: '127.0.0.1', port: probe.port, path: `/reset-${framing}`, agent: false }, (res) => {
          head = true
          res.setEncoding('utf8')
          res.on('data', (d: string) => (body += d))
          res.on('end', () => resolve(`clean end after ${JSON.stringify(body)}`))
          res.on('error', () => resolve(`aborted after ${JSON.stringify(body)}`))
        })
        // The reset may surface on the request first.
        req.on('error', () => resolve(head ? `aborted after ${JSON.stringify(body)}` : 'no response head'))
        req.end()
      })
      expect(outcome, framing).toBe('aborted after "partial"')
    }
  })
})
