/**
 * @module
 * `CONNECT host:port` on the sidecar's outbound listener (an app using
 * `HTTPS_PROXY=http://127.0.0.1:15001` for TLS egress): open a TCP connection to the
 * target, answer `200 Connection Established`, then pipe bytes both ways. The bytes
 * are opaque (TLS end to end): no routing, no headers. Only authority-form targets
 * with an explicit port are accepted (RFC 9110 §9.3.6); anything else is 400, a
 * target that cannot be reached 502.
 *
 * The node 'connect' event hands over (req, socket, head): wire it with
 * `server.on('connect', (req, socket, head) => connectTunnel(req, socket, head, opts))`.
 *
 * @example
 * httpServer.on('connect', (req, socket, head) => connectTunnel(req, socket, head, { log }))
 */
import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

export interface TunnelOptions {
  log?: (msg: string) => void
  /** How long the TCP connect to the target may take (ms, default 5000). */
  connectTimeout?: number
  /** Counted once per tunnel opened / refused. */
  onTunnel?: (outcome: 'opened' | 'bad-request' | 'unreachable') => void
}

/** `host:port` of an authority-form target (`[v6]:port` too), or undefined. */
export function connectTarget(url: string | undefined): { host: string; port: number } | undefined {
  if (!url) return undefined
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([-A-Za-z0-9_.]+)):([0-9]{1,5})$/.exec(url)
  if (!m) return undefined
  const port = Number(m[3])
  if (port < 1 || port > 65535) return undefined
  return { host: (m[1] ?? m[2])!, port }
}

export function connectTunnel(req: IncomingMessage, client: Duplex, head: Buffer, opts: TunnelOptions = {}): void {
  const target = connectTarget(req.url)
  client.on('error', () => {})
  if (!target) {
    opts.onTunnel?.('bad-request')
    refuse(client, 400, `CONNECT needs an authority-form target HOST:PORT, got ${JSON.stringify(req.url ?? '')}`)
    return
  }
  let established = false
  const upstream: Socket = connect({ host: target.host, port: target.port, timeout: opts.connectTimeout ?? 5000 })
  upstream.once('timeout', () => upstream.destroy(new Error('connect timed out')))
  upstream.once('connect', () => {
    established = true
    upstream.setTimeout(0)
    opts.onTunnel?.('opened')
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length > 0) upstream.write(head)
    upstream.pipe(client)
    client.pipe(upstream)
  })
  upstream.on('error', (err) => {
    if (!established) {
      opts.onTunnel?.('unreachable')
      opts.log?.(`CONNECT ${target.host}:${target.port}: ${err.message}`)
      refuse(client, 502, `cannot reach ${target.host}:${target.port}: ${err.message}`)
    } else client.destroy()
  })
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
}

function refuse(socket: Duplex, status: 400 | 502, message: string): void {
  const body = `${message}\n`
  const reason = status === 400 ? 'Bad Request' : 'Bad Gateway'
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-weft-error: ${status === 400 ? 'ERR_BAD_REQUEST' : 'ERR_UPSTREAM_CONNECT'}\r\nconnection: close\r\n\r\n${body}`)
}
