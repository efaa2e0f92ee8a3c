/**
 * @module
 * Plain HTTP/1.1 clients for the listener tests of the runtime adapters
 * (runtime/bun/serve.test.ts, runtime/deno/serve.test.ts): a GET on a fresh connection
 * (no agent), and raw bytes on a socket for what a client library will not send.
 *
 * @example
 * const r = await get(port, '/view', { host: 'shop.example' })
 * const text = await raw(port, 'GET http://other.example/view HTTP/1.1\r\nHost: x\r\n\r\n')
 */
import { request, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'

export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Send raw bytes, return what came back until the server closed or 2 s passed. */
export function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes))
    let got = ''
    s.setEncoding('utf8')
    s.on('data', (d: string) => {
      got += d
      // One complete response is enough.
      const end = got.indexOf('\r\n\r\n')
      const len = /content-length: (\d+)/i.exec(got)
      if (end >= 0 && len && got.length >= end + 4 + Number(len[1])) s.destroy()
    })
    s.on('close', () => resolve(got))
    s.on('error', reject)
    s.setTimeout(2_000, () => s.destroy())
  })
}
