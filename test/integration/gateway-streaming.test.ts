/**
 * Bodies stream through the gateway both ways: 50 MB up and 50 MB down, while the
 * gateway process's resident memory stays far below the body size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { Readable } from 'node:stream'
import { edgeConfig, freePort, processRssMb, service, startGateway, type GatewayProcess } from './gateway-process.js'

const SIZE = 50 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')

let gw: GatewayProcess
let upstream: Server
let port: number

function chunks(total: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null)
        return
      }
      const n = Math.min(CHUNK.length, total - sent)
      sent += n
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))
    },
  })
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/upload') {
      let n = 0
      req.on('data', (d: Buffer) => (n += d.length))
      req.on('end', () => res.end(String(n)))
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      chunks(SIZE).pipe(res)
    }
  })
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok))
  port = await freePort()
  gw = await startGateway(
    edgeConfig(
      port,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: files, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: files, port: 80 }] }]`,
      service('files', [{ address: '127.0.0.1', port: (upstream.address() as { port: number }).port }]),
    ),
  )
})

afterAll(async () => {
  await gw?.stop()
  upstream?.close()
})

/** Sample the gateway's RSS every 50 ms while `work` runs; return the peak. */
async function peakRss(work: Promise<unknown>): Promise<number> {
  let peak = processRssMb(gw.pid)
  const t = setInterval(() => (peak = Math.max(peak, processRssMb(gw.pid))), 50)
  try {
    await work
  } finally {
    clearInterval(t)
  }
  return peak
}

function upload(size: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    chunks(size).pipe(req)
  })
}

function download(path: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      let n = 0
      res.on('data', (d: Buffer) => (n += d.length))
      res.on('end', () => resolve(n))
    }).on('error', reject).end()
  })
}

// A body buffered whole would add at least its own size (50 MB) to the process. The
// bound leaves room for V8 growing its young generation on first use (measured: a
// 200 MB upload adds ~13 MB, the same as a 50 MB one), which a short warm-up absorbs.
const BOUND_MB = 30

describe('streaming', () => {
  beforeAll(async () => {
    await upload(8 * 1024 * 1024)
    await download('/download-warmup')
  })

  it('Should stream a 50 MB upload without buffering it [cap node streaming]', async () => {
    const base = processRssMb(gw.pid)
    const done = upload(SIZE)
    const peak = await peakRss(done)
    expect(await done).toBe(String(SIZE))
    expect(peak - base).toBeLessThan(BOUND_MB)
  })

  it('Should stream a 50 MB download without buffering it [cap node streaming]', async () => {
    const base = processRssMb(gw.pid)
    const done = download('/download')
    const peak = await peakRss(done)
    expect(await done).toBe(SIZE)
    expect(peak - base).toBeLessThan(BOUND_MB)
  })
})
