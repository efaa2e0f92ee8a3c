/**
 * writeResponse with a Web ReadableStream body (what a Bun or Deno fetch upstream hands
 * the node:http listeners of those runtimes): the body is written whole, read only as
 * fast as the client takes it, cut (never ended cleanly) when it fails midway, and
 * cancelled when the client goes away.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeResponse } from './respond.js'

const KiB = 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let server: Server | undefined

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
  server = undefined
})

/** A server answering every request with the stream `make()` returns. */
async function serve(make: () => ReadableStream<Uint8Array>): Promise<number> {
  server = createServer((_req, res) => writeResponse(res, { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: make() }))
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

function get(port: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request({ host: '127.0.0.1', port, agent: false }, resolve).on('error', reject).end())
}

/** `chunks` chunks of `size` bytes, counting how many were pulled. */
function counted(chunks: number, size: number, fail?: number) {
  const state = { pulled: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (state.pulled === fail) return c.error(new Error('upstream reset'))
        if (state.pulled === chunks) return c.close()
        state.pulled++
        c.enqueue(new Uint8Array(size).fill(7))
      },
      cancel() {
        state.cancelled = true
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, state }
}

describe('writeResponse with a Web ReadableStream body', () => {
  it('writes the body whole, then ends the response', async () => {
    const port = await serve(() => counted(100, 16 * KiB).stream)
    const res = await get(port)
    let n = 0
    for await (const d of res) n += (d as Buffer).length
    expect(res.statusCode).toBe(200)
    expect(n).toBe(100 * 16 * KiB)
  })

  it('reads the body only as fast as the client takes it', async () => {
    const c = counted(2_000, 64 * KiB) // 125 MiB if read ahead without limit
    const port = await serve(() => c.stream)
    const res = await get(port)
    res.pause()
    await sleep(500)
    // Socket buffers on both sides and one chunk in hand: a few MiB at most, far from 125.
    expect(c.state.pulled * 64 * KiB).toBeLessThan(16 * 1024 * KiB)
    expect(c.state.pulled).toBeGreaterThan(0)
    res.destroy()
  })

  it('cuts the response (no clean end) when the body fails midway', async () => {
    const port = await serve(() => counted(1_000, 16 * KiB, 10).stream)
    const res = await get(port)
    const outcome = await new Promise<string>((resolve) => {
      res.on('data', () => {})
      res.on('end', () => resolve('end'))
      res.on('error', () => resolve('aborted'))
      res.on('aborted', () => resolve('aborted'))
    })
    expect(outcome).toBe('aborted')
  })

  it('cancels the body when the client goes away', async () => {
    const c = counted(100_000, 16 * KiB)
    const port = await serve(() => c.stream)
    const res = await get(port)
    res.destroy()
    for (let i = 0; i < 100 && !c.state.cancelled; i++) await sleep(20)
    expect(c.state.cancelled).toBe(true)
  })
})
