/**
 * @module
 * HTTPS listeners on Deno: node:tls terminates TLS (a certificate per SNI, chosen at
 * each handshake; ALPN h2 and http/1.1) and hands the clear bytes of each connection
 * to a `Deno.serve` listener on 127.0.0.1, which speaks HTTP/1.1 and HTTP/2 (h2c with
 * prior knowledge, which is what an h2 connection is once decrypted) by itself.
 *
 * Why not one of them alone:
 * - `Deno.serve`'s own TLS takes one certificate for the whole listener, whatever the
 *   SNI, and does not tell a request which SNI its connection sent: neither the
 *   certificate-per-hostname nor the misdirected-request (421) cases can pass.
 * - Deno 2.9's `node:http2` server breaks under HTTP/2 load: the process dies
 *   (`free(): invalid pointer`, an nghttp2 assertion) when a session that carried
 *   ~32 MiB ends, and a reset stream can leave it spinning at 100 % CPU, answering
 *   nothing (docs/runtimes/deno.md; probes/h2-crash-*.ts reproduce it). Any client
 *   could do that to a gateway, so Weft does not serve HTTP/2 with it.
 *
 * What the request view needs of the TLS connection (SNI, ALPN → HTTP version, the
 * client's address) is kept by the local port of the loopback connection, which is the
 * remote port Deno.serve reports for each request (serve.ts `ConnectionInfo`). The
 * entry is made before the first byte is relayed and dropped when the connection
 * closes. Bytes are relayed with pipe() both ways, so a slow reader holds the writer
 * back where Deno's node:tls honours pause() (docs/runtimes/deno.md says where not).
 *
 * The cost is one loopback connection per client connection (not per request); plain
 * HTTP listeners, the ones the benchmarks measure, are Deno.serve directly.
 *
 * @example
 * const l = await serveTlsFront({ address: '0.0.0.0', port: 443, handler, tls })
 */
import { connect, type Socket } from 'node:net'
import { createServer, type TLSSocket } from 'node:tls'
import type { InboundInfo } from '../web/inbound.js'
import { sniCallback } from '../node/sni.js'
import type { Listening, ServeOptions, ServeTls } from '../types.js'
import { clientAddress, serveHttp } from './serve.js'

/** How long a client that closed its sending side is kept for its answers. */
const HALF_CLOSED_GRACE_MS = 30_000

export async function serveTlsFront(opts: ServeOptions & { tls: ServeTls }): Promise<Listening> {
  /** The TLS connection behind each loopback connection, by the loopback connection's local port. */
  const fronted = new Map<number, InboundInfo>()
  const open = new Set<Socket>()
  let port = opts.port
  const inner = await serveHttp({ ...opts, address: '127.0.0.1', port: 0, tls: undefined }, (remote) => fronted.get(remote.port))
  // A client that sends its request and then shuts its side down (FIN) must still get
  // the answer, but Deno.serve (hyper) drops a connection whose read side ends. So the
  // client's end is not passed on: its socket stays half-open, the inner connection
  // answers and closes (or idles), and the pair is torn down when the inner side ends,
  // HALF_CLOSED_GRACE_MS after the client's end at the latest, or when either fails.
  const server = createServer({ SNICallback: sniCallback(opts.tls), ALPNProtocols: ['h2', 'http/1.1'], allowHalfOpen: true }, (client: TLSSocket) => {
    open.add(client)
    // No Nagle on either side: small frames (HTTP/2 WINDOW_UPDATEs, a response head)
    // would otherwise wait for the peer's delayed ACK, ~40 ms each (a 40 MiB h2 download took 17 s).
    client.setNoDelay(true)
    const back = connect({ port: inner.port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true })
    let localPort: number | undefined
    let grace: ReturnType<typeof setTimeout> | undefined
    const done = () => {
      clearTimeout(grace)
      open.delete(client)
      if (localPort !== undefined) fronted.delete(localPort)
      client.destroy()
      back.destroy()
    }
    back.once('connect', () => {
      localPort = back.localPort!
      fronted.set(localPort, {
        scheme: 'https',
        port,
        remoteAddress: clientAddress(client.remoteAddress ?? ''),
        sni: client.servername || '',
        httpVersion: client.alpnProtocol === 'h2' ? '2.0' : '1.1',
      })
      client.pipe(back, { end: false })
      back.pipe(client)
    })
    client.once('end', () => {
      grace = setTimeout(done, HALF_CLOSED_GRACE_MS)
      grace.unref?.()
    })
    client.on('error', done).on('close', done)
    back.on('error', done).on('close', done)
  })
  // A failed handshake (no certificate for the SNI, a client giving up) concerns that client only.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as { port: number }).port
  return {
    port,
    async close() {
      // Stop accepting; requests in flight finish through the inner listener's drain (bounded by
      // closeTimeout), after which the connections still open are closed.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await inner.close()
      for (const s of open) s.destroy()
      await stopped
    },
  }
}
