/**
 * @module
 * Answers for what never becomes a request: input node's HTTP/1 parser refuses
 * (Content-Length with Transfer-Encoding, duplicate Content-Length, bad chunk sizes,
 * oversized headers, a broken request line), a request that was not received in
 * time, and CONNECT, which Weft listeners do not tunnel. Each gets a short plain-text
 * reason and `x-weft-error`, then the connection is closed: after a framing error
 * nothing later on that connection can be trusted (request smuggling).
 *
 * @example
 * server.on('clientError', onClientError)
 * // POST / HTTP/1.1 + Content-Length + Transfer-Encoding →
 * // 400, x-weft-error: ERR_BAD_REQUEST, "malformed request: Transfer-Encoding can't be present with Content-Length"
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

const kAnswered = Symbol('weft.answered')

type ParserError = Error & { code?: string; reason?: string }
type ServerSocket = Socket & { [kAnswered]?: boolean; _httpMessage?: { headersSent: boolean } | null }

/** The `clientError` listener: answer once if nothing was sent on the connection yet, then close it. */
export function onClientError(err: ParserError, socket: Duplex): void {
  const s = socket as ServerSocket
  // The parser can report again on the same connection before it closes.
  if (s[kAnswered]) return
  s[kAnswered] = true
  const inFlight = s._httpMessage
  if (err.code === 'ECONNRESET' || !s.writable || (inFlight && inFlight.headersSent)) {
    // Nothing useful can be written: the peer is gone or a response is half sent.
    s.destroy()
    return
  }
  const [status, code, why] = explain(err)
  rejectRaw(s, status, code, why)
}

/** HTTP/1 CONNECT (node hands it over as a raw socket): not a proxy tunnel here. */
export function rejectConnect(socket: Duplex): void {
  rejectRaw(socket as ServerSocket, 400, 'ERR_BAD_REQUEST', 'CONNECT is not supported on this listener')
}

function explain(err: ParserError): [number, string, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'ERR_HEADERS_TOO_LARGE', 'request header fields too large: the request line and headers may take at most 16 KiB']
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'ERR_REQUEST_TIMEOUT', 'the request was not received in time']
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'ERR_BAD_REQUEST', 'chunk extensions too large']
    default:
      // llhttp's reasons are specific ("Duplicate Content-Length", "Invalid character in chunk size").
      return [400, 'ERR_BAD_REQUEST', `malformed request: ${err.reason ?? err.message}`]
  }
}

/** Write a complete response on the raw socket, then close once it is flushed. */
function rejectRaw(socket: ServerSocket, status: number, code: string, why: string): void {
  const text = why + '\n'
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      `x-weft-error: ${code}\r\n` +
      'connection: close\r\n\r\n' +
      text,
  )
  socket.destroySoon()
  // A client that never reads would keep the flush (and the socket) pending forever.
  setTimeout(destroyLater, 5000, socket).unref()
}

function destroyLater(socket: Socket): void {
  socket.destroy()
}
