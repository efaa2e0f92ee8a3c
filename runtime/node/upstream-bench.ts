/**
 * @module
 * What a proxied request costs on Node, measured as CPU time per request
 * (process.cpuUsage over a batch of requests, 16 in flight). Everything runs in this
 * one process, so every variant pays the same for the load generator and the
 * upstream and the differences are what the variant adds; rounds interleave the
 * variants so a busy neighbour hits them alike, and the minimum and median of the
 * rounds are reported. (Separate processes for client, proxy and upstream were tried first: on
 * a shared 2-vCPU machine their per-process numbers varied by ±50 % between runs.)
 *
 * 1. The undici API behind createNodeUpstream: `dispatch` with Weft's own handler
 *    (upstream-call.ts), `pool.request()`, and `pool.stream()` feeding a PassThrough
 *    (stream() wants the destination at head time; the Upstream contract returns the
 *    head first, so a PassThrough is the only way to use it there).
 * 2. The whole proxy: `listen` + `createNodeUpstream` (with hop-by-hop and forwarding
 *    headers), the same with a per-request AbortSignal, and node:http piping
 *    `pool.stream()` straight into the response (DESIGN.md's ~56 µs reference shape),
 *    each minus the direct client → upstream cost.
 *
 * @example
 * // npx tsc -p tsconfig.build.json && node dist/runtime/node/upstream-bench.js [rounds]
 */
import { createServer, type Server } from 'node:http'
import { PassThrough, type Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { addForwardingHeaders } from '../../core/http/forwarded.js'
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import type { ProxyRequest } from '../../core/http/view.js'
import type { Endpoint } from '../../core/upstream/upstream.js'
import { listen } from './server.js'
import { createNodeUpstream } from './upstream.js'

const BATCH = 3000
const IN_FLIGHT = 16
const CLIENT_HEADERS = { host: 'bench.example', 'user-agent': 'bench', accept: '*/*' }

async function serve(server: Server): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return (server.address() as { port: number }).port
}

function drain(body: Readable): Promise<void> {
  return new Promise((ok, fail) => body.on('data', noop).on('end', ok).on('error', fail))
}

function noop(): void {}

/** CPU µs per request of `one`, BATCH requests with IN_FLIGHT at a time. */
async function cpuPerRequest(one: () => Promise<void>): Promise<number> {
  let started = 0
  const before = process.cpuUsage()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (started++ < BATCH) await one()
  }))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / BATCH
}

async function compare(title: string, variants: Record<string, () => Promise<void>>, rounds: number, baseline?: string): Promise<void> {
  for (const one of Object.values(variants)) await cpuPerRequest(one) // warm-up: JIT, pools, connections
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  for (let r = 0; r < rounds; r++) {
    for (const [name, one] of Object.entries(variants)) samples[name]!.push(await cpuPerRequest(one))
  }
  // The minimum is the least disturbed round (a neighbour only ever adds CPU time);
  // the median shows how noisy the machine was.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!
  const base = baseline ? Math.min(...samples[baseline]!) : 0
  console.log(`\n${title}`)
  for (const [name, xs] of Object.entries(samples)) {
    const min = Math.min(...xs)
    const extra = baseline && name !== baseline ? `   adds ${(min - base).toFixed(1)} µs over ${baseline}` : ''
    console.log(`  ${name.padEnd(13)} min ${min.toFixed(1).padStart(6)} µs   median ${median(xs).toFixed(1).padStart(6)} µs${extra}`)
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 12)
  const payload = Buffer.from('hello from the upstream\n')
  const upstreamPort = await serve(createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': payload.length })
    res.end(payload)
  }))
  const endpoint: Endpoint = { address: '127.0.0.1', port: upstreamPort, key: `127.0.0.1:${upstreamPort}` }
  const request = (): ProxyRequest => ({
    method: 'GET', scheme: 'http', authority: 'bench.example', host: 'bench.example', path: '/bench', query: 'x=1',
    headers: { ...CLIENT_HEADERS }, body: null, remoteAddress: '127.0.0.1', port: 80,
  })
  const weft = createNodeUpstream()
  const pool = new Pool(`http://${endpoint.key}`, { connections: 1024 })

  await compare(`1. upstream client: CPU per request (client + upstream, ${process.version})`, {
    dispatch: async () => drain((await weft.send(endpoint, request())).body as Readable),
    request: async () => drain((await pool.request({ path: '/bench?x=1', method: 'GET', headers: { ...CLIENT_HEADERS } })).body),
    'stream+pass': async () => {
      let body!: PassThrough
      await new Promise<void>((ok, fail) => {
        pool.stream({ path: '/bench?x=1', method: 'GET', headers: { ...CLIENT_HEADERS } }, () => {
          body = new PassThrough()
          ok()
          return body
        }).catch(fail)
      })
      await drain(body)
    },
  }, rounds)

  const handler = (req: ProxyRequest, signal: AbortSignal | undefined) => {
    stripHopByHop(req.headers)
    addForwardingHeaders(req)
    return weft.send(endpoint, req, signal)
  }
  const plain = await listen({ address: '127.0.0.1', port: 0, handler })
  const signals = await listen({ address: '127.0.0.1', port: 0, handler, abortSignal: true })
  const barePort = await serve(createServer((req, res) => {
    pool.stream({ path: req.url!, method: 'GET', headers: req.headers as Record<string, string> }, ({ statusCode, headers }) => {
      res.writeHead(statusCode, headers as Record<string, string>)
      return res
    }).catch(() => res.destroy())
  }))
  const client = (port: number) => {
    const p = new Pool(`http://127.0.0.1:${port}`, { connections: IN_FLIGHT })
    return async () => drain((await p.request({ path: '/bench?x=1', method: 'GET', headers: CLIENT_HEADERS })).body)
  }
  await compare('2. whole proxy: CPU per request (client + proxy + upstream)', {
    direct: client(upstreamPort),
    weft: client(plain.port),
    'weft+signal': client(signals.port),
    'bare-stream': client(barePort),
  }, rounds, 'direct')
  process.exit(0)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main()
