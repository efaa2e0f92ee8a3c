/**
 * @module
 * HTTP/1.1 requests to a proxy under test with the Host header the case needs (fetch
 * cannot set Host), over one keep-alive agent per target, and a raw-socket request for
 * malformed input.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export interface CallOptions {
  host: string
  method?: string
  headers?: Record<string, string>
  body?: string | Readable
  agent?: Agent | false
  timeoutMs?: number
}

/** One request to `url` + `path`; resolves with the whole answer (text). */
export function call(url: string, path: string, o: CallOptions): Promise<Answer> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: o.method ?? 'GET', headers: { ...o.headers, host: o.host }, agent: o.agent ?? false, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${o.method ?? 'GET'} ${path} within ${o.timeoutMs ?? 10_000} ms`)))
    req.on('error', reject)
    if (typeof o.body === 'string') req.end(o.body)
    else if (o.body) o.body.pipe(req)
    else req.end()
  })
}

/** `text` written as is to 127.0.0.1:port; resolves with the status code of the first response line. */
export function rawStatus(url: string, text: string, timeoutMs = 5000): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname)
    let got = ''
    const timer = setTimeout(() => s.destroy(new Error(`no status line within ${timeoutMs} ms; got ${JSON.stringify(got)}`)), timeoutMs)
    s.setEncoding('utf8')
    s.on('connect', () => s.write(text))
    s.on('data', (d: string) => {
      got += d
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got)
      if (m) {
        clearTimeout(timer)
        s.destroy()
        resolve(Number(m[1]))
      }
    })
    s.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    s.on('end', () => {
      clearTimeout(timer)
      reject(new Error(`connection closed without a status line; got ${JSON.stringify(got)}`))
    })
  })
}

/** The echo backend's JSON (test/fakes/echo-backend.ts). */
export function echoOf(a: Answer): { path: string; host: string; method: string; headers: Record<string, string[]>; pod: string } {
  try {
    return JSON.parse(a.body)
  } catch {
    throw new Error(`expected the echo backend's JSON, got ${a.status}: ${a.body.slice(0, 300)}`)
  }
}
