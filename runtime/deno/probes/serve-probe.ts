/**
 * @module
 * A Deno process for the runtime/deno tests (run by `deno`, spawned through
 * deno-process.ts): the Deno adapter serving one listener whose handler forwards to an
 * origin through the adapter's upstream, plus a few local answers the tests read.
 * Configured by WEFT_PROBE (JSON: { origin: port, tls?: [{cert,key,hostnames}],
 * closeTimeout?, proxy? }; `proxy`: the listener takes CONNECT, as a sidecar's
 * outbound, and tunnels to the target); prints `{"port":N}` once listening; SIGTERM closes the listener
 * (draining) and prints `{"closed":ms}`.
 *
 *   GET /view            the ProxyRequest view as JSON (no body)
 *   GET /weft-error      a handler throwing a WeftError (NoRoute, 404)
 *   GET /bug             a handler throwing a plain Error (500)
 *   GET /rss             this process's resident set size (bytes)
 *   GET /stream?mb=N     N MiB generated here, streamed to the client
 *   POST /count          the request body read and counted here (not forwarded)
 *   anything else        forwarded to 127.0.0.1:origin (hop-by-hop fields removed)
 */
import { NoRoute } from '../../../core/errors.js'
import { stripHopByHop } from '../../../core/http/hop-by-hop.js'
import { textResponse } from '../../../core/http/view.js'
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TlsCertificate } from '../../types.js'
import { runtime } from '../runtime.js'

type Cert = TlsCertificate & { hostnames: string[] }
const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { origin?: number; tls?: Cert[]; closeTimeout?: number; proxy?: boolean }
const upstream = runtime.createUpstream()
const endpoint = { address: '127.0.0.1', port: cfg.origin ?? 9, key: `127.0.0.1:${cfg.origin ?? 9}` }
const certs = cfg.tls
const listening = await runtime.serve({
  address: '127.0.0.1',
  port: 0,
  ...(cfg.closeTimeout !== undefined && { closeTimeout: cfg.closeTimeout }),
  ...(certs && {
    tls: {
      certFor: (name: string) => certs.find((c) => c.hostnames.includes(name)) ?? certs[0],
      certificates: () => certs,
    },
  }),
  ...(cfg.proxy && { onConnect: tunnel }),
  onError: (err) => console.error('onError:', (err as Error).message),
  handler: async (req, signal) => {
    if (req.path === '/view') return textResponse(200, JSON.stringify({ ...req, body: req.body !== null, signal: signal !== undefined }))
    if (req.path === '/weft-error') throw new NoRoute(req.method, req.host, req.path)
    if (req.path === '/bug') throw new Error('secret internals')
    if (req.path === '/rss') return textResponse(200, String(process.memoryUsage().rss))
    if (req.path === '/stream') return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: generate(Number(new URLSearchParams(req.query).get('mb'))) }
    if (req.path === '/count') return textResponse(200, String(await count(req.body as ReadableStream<Uint8Array> | null)))
    // As the gateway's pipeline does: the client's Connection (close, from agent: false) is not the upstream's.
    stripHopByHop(req.headers)
    return upstream.send(endpoint, req, signal)
  },
})
console.log(JSON.stringify({ port: listening.port }))
process.once('SIGTERM', async () => {
  const t = performance.now()
  await listening.close()
  console.log(JSON.stringify({ closed: Math.round(performance.now() - t) }))
  await upstream.close()
  process.exit(0)
})

/** N MiB in 64 KiB chunks, produced only as fast as the client reads (pull). */
function generate(mb: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(120)
  let left = mb * 16
  return new ReadableStream({
    pull(c) {
      if (left-- > 0) c.enqueue(chunk)
      else c.close()
    },
  })
}

async function count(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let n = 0
  if (body) for await (const c of body as unknown as AsyncIterable<Uint8Array>) n += c.byteLength
  return n
}

/** CONNECT host:port → a TCP connection to it, bytes both ways. */
function tunnel(req: unknown, socket: unknown, head: unknown): void {
  const client = socket as Duplex
  const [host, port] = String((req as { url: string }).url).split(':')
  const up = connect(Number(port), host!, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if ((head as Buffer).length) up.write(head as Buffer)
    up.pipe(client)
    client.pipe(up)
  })
  up.on('error', () => client.destroy())
  client.on('error', () => up.destroy())
}
