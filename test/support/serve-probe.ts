/**
 * @module
 * The body of the runtime/bun and runtime/deno serve probes (runtime/bun/probes/serve-probe.ts,
 * runtime/deno/probes/serve-probe.ts; run by `bun` / `deno`, started through
 * test/support/runtime-probe.ts): the adapter serving one listener whose handler
 * forwards to an origin through the adapter's upstream, plus a few local answers the
 * tests read. Configured by WEFT_PROBE (JSON: { origin: port, tls?, closeTimeout?,
 * proxy? }; `tls` in the form the runtime's probe reads (its `tls` below); `proxy`: the
 * listener is given the probe's `onConnect`, as a sidecar's outbound); prints
 * `{"port":N}` once listening; SIGTERM closes the listener (draining) and prints
 * `{"closed":ms}`.
 *
 *   GET /view[/…]        the ProxyRequest view as JSON (no body)
 *   GET /weft-error      a handler throwing a WeftError (NoRoute, 404)
 *   GET /bug             a handler throwing a plain Error (500)
 *   GET /rss             this process's resident set size (bytes)
 *   GET /stream?mb=N     N MiB generated here, streamed to the client
 *   POST /count          the request body read and counted here (not forwarded)
 *   anything else        forwarded to 127.0.0.1:origin (hop-by-hop fields removed)
 *
 * @example
 * await serveProbe(runtime, { tls: (cfg) => ..., onConnect: (req, socket, head) => ... })
 */
import { NoRoute } from '../../core/errors.js'
import { stripHopByHop } from '../../core/http/hop-by-hop.js'
import { textResponse } from '../../core/http/view.js'
import type { Runtime, ServeOptions, ServeTls } from '../../runtime/types.js'

export interface ServeProbeOptions {
  /** The listener's certificates from the `tls` of WEFT_PROBE (present only when given). */
  tls: (cfg: unknown) => ServeTls
  /** The CONNECT handler of a `proxy` listener. */
  onConnect: NonNullable<ServeOptions['onConnect']>
}

export async function serveProbe(runtime: Runtime, opts: ServeProbeOptions): Promise<void> {
  const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { origin?: number; tls?: unknown; closeTimeout?: number; proxy?: boolean }
  const upstream = runtime.createUpstream()
  const endpoint = { address: '127.0.0.1', port: cfg.origin ?? 9, key: `127.0.0.1:${cfg.origin ?? 9}` }
  const listening = await runtime.serve({
    address: '127.0.0.1',
    port: 0,
    ...(cfg.closeTimeout !== undefined && { closeTimeout: cfg.closeTimeout }),
    ...(cfg.tls !== undefined && { tls: opts.tls(cfg.tls) }),
    ...(cfg.proxy && { onConnect: opts.onConnect }),
    onError: (err) => console.error('onError:', (err as Error).message),
    handler: async (req, signal) => {
      if (req.path === '/view' || req.path.startsWith('/view/')) return textResponse(200, JSON.stringify({ ...req, body: req.body !== null, signal: signal !== undefined }))
      if (req.path === '/weft-error') throw new NoRoute(req.method, req.host, req.path)
      if (req.path === '/bug') throw new Error('secret internals')
      if (req.path === '/rss') return textResponse(200, String(process.memoryUsage().rss))
      if (req.path === '/stream') return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: generate(Number(new URLSearchParams(req.query).get('mb'))) }
      if (req.path === '/count') return textResponse(200, String(await count(req.body as ReadableStream<Uint8Array> | null)))
      // As the gateway's stages do: the client's Connection (close, from agent: false) is not the upstream's.
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
}

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
