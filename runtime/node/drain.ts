/**
 * @module
 * Graceful shutdown for one listening server (plain HTTP, or TLS serving HTTP/2 and
 * HTTP/1.1): stop accepting, let requests in flight finish, close connections as
 * they become idle, and after a deadline destroy whatever is left. Tracking is per
 * connection (one Set entry and one 'close' listener), never per request.
 *
 * @example
 * const drainer = trackConnections(server, false)
 * // ... later
 * await drainer.drain(10_000)
 */
import type { Http2Session } from 'node:http2'
import type { Server, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

export interface Drainer {
  /** True once drain() was called: responses should then close their HTTP/1.1 connection. */
  readonly closing: boolean
  /** Stop accepting and wait (at most `timeoutMs`) for every connection to end. */
  drain(timeoutMs: number): Promise<void>
}

type H1Socket = Socket & { _httpMessage?: unknown }

/** How often idle HTTP/1.1 connections are looked for while draining. */
const SWEEP_MS = 50

/** `tls`: the server is a TLS server (its HTTP/1.1 sockets are the TLSSockets, not the TCP ones). */
export function trackConnections(server: Server, tls: boolean): Drainer {
  const sockets = new Set<Socket>()
  const h1 = new Set<H1Socket>()
  const sessions = new Set<Http2Session>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    if (!tls) h1.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      h1.delete(socket)
    })
  })
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return
    h1.add(socket)
    socket.once('close', () => h1.delete(socket))
  })
  server.on('session', (session: Http2Session) => {
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })

  let closing: Promise<void> | undefined
  return {
    get closing() {
      return closing !== undefined
    },
    drain(timeoutMs) {
      closing ??= new Promise<void>((resolve) => {
        const sweep = () => {
          // An HTTP/1 connection with no response assigned is between requests.
          for (const s of h1) if (!s._httpMessage) s.destroy()
        }
        const timer = setInterval(sweep, SWEEP_MS)
        const deadline = setTimeout(() => {
          for (const s of sessions) s.destroy()
          for (const s of sockets) s.destroy()
        }, timeoutMs)
        server.close(() => {
          clearInterval(timer)
          clearTimeout(deadline)
          resolve()
        })
        // GOAWAY: the client opens no new streams; the ones in flight complete.
        for (const s of sessions) s.close()
        sweep()
      })
      return closing
    },
  }
}
