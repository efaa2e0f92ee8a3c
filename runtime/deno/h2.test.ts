/**
 * HTTP/2 on Deno's node:http2 past ~32 MiB a session: the adapter's HTTPS listener
 * (h2-budget.ts) resets the stream that would cross its budget, so the process lives
 * and keeps serving; a session past the soft limit gets a GOAWAY.
 *
 * The Deno bug the budget avoids (a bare node:http2 server under Deno 2.9 dies,
 * SIGABRT or SIGSEGV, once a session that carried ~32 MiB ends) is a race: it came in
 * most runs, not all, so it is not asserted here (a test that passes by chance proves
 * nothing). Reproduce it by hand with probes/h2-crash-probe.ts and
 * probes/h2-crash-client.ts (docs/runtimes/deno.md).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect, type ClientHttp2Session } from 'node:http2'
import { startDeno, type DenoProcess } from './probes/deno-process.js'

const MiB = 1024 * 1024
const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/tls/${name}`, import.meta.url), 'utf8')
const tls = { cert: fixture('example.cert.pem'), key: fixture('example.key.pem') }
const chunk = Buffer.alloc(64 * 1024, 7)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One POST of `size` bytes on `session`; resolves with the answer, or the error code. */
function upload(session: ClientHttp2Session, size: number, authority = 'shop.example'): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = session.request({ ':method': 'POST', ':path': '/upload', ':authority': authority })
    let status: number | undefined
    let body = ''
    req.on('response', (h) => (status = Number(h[':status'])))
    req.setEncoding('utf8').on('data', (d: string) => (body += d))
    req.on('end', () => resolve({ status, body }))
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
    // Bounded: a stuck stream fails the test with what it got, instead of hanging it.
    const timer = setTimeout(() => resolve({ status, body: body.slice(0, 100), error: 'TIMEOUT' }), 30_000)
    req.on('close', () => clearTimeout(timer))
    void (async () => {
      let n = 0
      while (n < size && !req.destroyed) {
        n += chunk.length
        if (!req.write(chunk)) {
          await new Promise<void>((ok) => {
            const done = () => {
              req.off('drain', done).off('close', done)
              ok()
            }
            req.on('drain', done).on('close', done)
          })
        }
      }
      if (!req.destroyed) req.end()
    })()
  })
}

function download(session: ClientHttp2Session, mb: number): Promise<{ bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const req = session.request({ ':path': `/stream?mb=${mb}`, ':authority': 'shop.example' })
    let bytes = 0
    req.on('data', (d: Buffer) => (bytes += d.length))
    req.on('end', () => resolve({ bytes }))
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ bytes, error: err.code ?? err.message }))
    const timer = setTimeout(() => resolve({ bytes, error: 'TIMEOUT' }), 30_000)
    req.on('close', () => clearTimeout(timer))
  })
}

const open = (port: number) => {
  const s = connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
  s.on('error', () => {})
  return s
}

async function closeAndWait(s: ClientHttp2Session): Promise<void> {
  await new Promise<void>((ok) => {
    if (s.closed || s.destroyed) return ok()
    s.close(() => ok())
  })
}

describe('HTTP/2 past ~32 MiB a session under Deno', () => {
  // A fresh Deno process per attempt, and up to two retries: the guard works around a race
  // in Deno's node:http2, and in about one run in three here the over-budget stream stalls
  // instead of being reset (docs/runtimes/deno.md, "known issue"). What must hold in at
  // least one of three attempts is the documented behaviour below.
  describe('the adapter (h2-budget.ts)', { retry: 2 }, () => {
    let origin: Server
    let probe: DenoProcess
    beforeEach(async () => {
      origin = createServer((req, res) => {
        let n = 0
        req.on('data', (d: Buffer) => (n += d.length))
        req.on('end', () => res.end(String(n)))
      })
      await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
      probe = await startDeno('serve-probe.ts', { origin: (origin.address() as { port: number }).port, tls: [{ ...tls, hostnames: [''] }] })
    })
    afterEach(async () => {
      await probe?.stop()
      origin?.closeAllConnections()
      await new Promise((ok) => origin?.close(ok))
    })

    it('[cap deno http2] resets a 40 MiB upload and a 40 MiB download (RST_STREAM), and lives on to serve the next sessions', async () => {
      const s = open(probe.port)
      const up = await upload(s, 40 * MiB)
      expect(up.error).toBe('ERR_HTTP2_STREAM_ERROR')
      s.destroy()
      const s2 = open(probe.port)
      const down = await download(s2, 40)
      // Known issue (docs/runtimes/deno.md): the reset of an over-budget download does not
      // always reach the client through Deno's node:http2; the stream then stalls. Either
      // way no more than the budget is delivered, and the process lives on (below).
      expect(['ERR_HTTP2_STREAM_ERROR', 'TIMEOUT']).toContain(down.error)
      expect(down.bytes).toBeLessThan(28 * MiB + 1)
      s2.destroy()
      for (let i = 0; i < 5; i++) {
        const s3 = open(probe.port)
        expect(await upload(s3, 10 * MiB)).toEqual({ status: 200, body: String(10 * MiB) })
        await closeAndWait(s3)
        await sleep(100)
      }
      expect(probe.output()).not.toMatch(/invalid pointer|Assertion/)
    }, 60_000)

    it('[cap deno http2] a session past 16 MiB gets a GOAWAY after its streams finished whole', async () => {
      const s = open(probe.port)
      const goaway = new Promise<void>((ok) => s.once('goaway', () => ok()))
      expect(await upload(s, 10 * MiB)).toEqual({ status: 200, body: String(10 * MiB) })
      expect(await upload(s, 10 * MiB)).toEqual({ status: 200, body: String(10 * MiB) })
      await Promise.race([goaway, sleep(5_000).then(() => Promise.reject(new Error('no GOAWAY within 5 s')))])
      s.destroy()
    }, 60_000)
  })
})
