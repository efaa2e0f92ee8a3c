/**
 * @module
 * Send one conformance request to a gateway and collect what came back, never
 * following redirects: HTTP/1.1 over a keep-alive agent per gateway (TLS with the
 * case's SNI when `scheme` is https), or HTTP/2 over TLS (a session per request, since
 * the SNI/`:authority` pairing is what the misdirected-request cases test).
 *
 * @example
 * const client = new GatewayClient('127.0.0.1', tls.certPem)
 * const res = await client.send({ host: 'example.org', method: 'GET', path: '/', port: 443, scheme: 'https', sni: 'example.org' })
 * res.status; res.header('location'); res.echo?.pod
 * client.close()
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { connect as h2connect, constants as h2 } from 'node:http2'
import type { CaseRequest } from './cases.js'
import type { EchoBody } from '../fakes/echo-backend.js'

/** What one request looked like on the wire (for failure messages). */
export interface SentRequest {
  protocol: 'HTTP/1.1' | 'HTTP/2'
  scheme: 'http' | 'https'
  address: string
  port: number
  sni?: string
  method: string
  path: string
  /** Header lines sent, Host / :authority first. */
  headers: [string, string][]
}

export interface Received {
  sent: SentRequest
  /** 0 when no response arrived (see `error`). */
  status: number
  /** Response header lines as received (names lower-cased). */
  headerLines: [string, string][]
  body: string
  /** The echo backend's JSON, when the body is one. */
  echo?: EchoBody
  error?: string
  ms: number
  /** All values of a response header (case-insensitive), joined with ','; undefined when absent. */
  header(name: string): string | undefined
}

const REQUEST_TIMEOUT_MS = 10_000

function received(sent: SentRequest, start: number, status: number, headerLines: [string, string][], body: string, error?: string): Received {
  let echo: EchoBody | undefined
  if (body.startsWith('{')) {
    try {
      const parsed = JSON.parse(body) as EchoBody
      if (parsed && typeof parsed.pod === 'string' && typeof parsed.path === 'string') echo = parsed
    } catch {
      // not an echo body
    }
  }
  return {
    sent,
    status,
    headerLines,
    body,
    echo,
    error,
    ms: Math.round(performance.now() - start),
    header(name) {
      const n = name.toLowerCase()
      const values = headerLines.filter(([k]) => k === n).map(([, v]) => v)
      return values.length ? values.join(',') : undefined
    },
  }
}

function linesOf(res: IncomingMessage): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) out.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
  return out
}

export class GatewayClient {
  private http = new HttpAgent({ keepAlive: true, maxSockets: 16 })
  private https: HttpsAgent

  constructor(
    readonly address: string,
    private readonly caPem: string,
  ) {
    // Verify the chain (the gateway must present our certificate) but not the name:
    // some cases deliberately send an SNI that no certificate name covers.
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 16, ca: caPem, checkServerIdentity: () => undefined })
  }

  /** The Host header a request with `host: null` carries: the gateway's address, with the port unless it is the scheme's default. */
  defaultHost(scheme: 'http' | 'https', port: number): string {
    return port === (scheme === 'https' ? 443 : 80) ? this.address : `${this.address}:${port}`
  }

  send(req: CaseRequest, path = req.path, extraHeaders: Record<string, string> = {}): Promise<Received> {
    const scheme = req.scheme ?? 'http'
    const port = req.port ?? (scheme === 'https' ? 443 : 80)
    const host = req.host ?? this.defaultHost(scheme, port)
    // Upstream always sends X-Echo-Set-Header (empty unless the case sets response headers).
    const echoSet = Object.entries(req.backendResponseHeaders ?? {}).map(([k, v]) => `${k}:${v}`).join(',')
    const headers: [string, string][] = [
      ['Host', host],
      ...Object.entries(req.headers ?? {}),
      ['X-Echo-Set-Header', echoSet],
      ...Object.entries(extraHeaders),
    ]
    const sent: SentRequest = {
      protocol: req.protocol === 'HTTP/2' ? 'HTTP/2' : 'HTTP/1.1',
      scheme,
      address: this.address,
      port,
      sni: scheme === 'https' ? (req.sni ?? req.host?.replace(/:\d+$/, '')) : undefined,
      method: req.method,
      path,
      headers,
    }
    return sent.protocol === 'HTTP/2' ? this.sendH2(sent) : this.sendH1(sent)
  }

  private sendH1(sent: SentRequest): Promise<Received> {
    const start = performance.now()
    return new Promise((resolve) => {
      const flat: string[] = []
      for (const [k, v] of sent.headers) flat.push(k, v)
      const options = {
        host: sent.address,
        port: sent.port,
        method: sent.method,
        path: sent.path,
        headers: flat,
        setHost: false,
        timeout: REQUEST_TIMEOUT_MS,
      }
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(received(sent, start, res.statusCode ?? 0, linesOf(res), Buffer.concat(chunks).toString('utf8'))))
        res.on('error', (err) => resolve(received(sent, start, res.statusCode ?? 0, linesOf(res), Buffer.concat(chunks).toString('utf8'), `response body: ${err.message}`)))
      }
      const req =
        sent.scheme === 'https'
          ? httpsRequest({ ...options, agent: this.https, servername: sent.sni, ca: this.caPem, checkServerIdentity: () => undefined }, onResponse)
          : httpRequest({ ...options, agent: this.http }, onResponse)
      req.on('timeout', () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)))
      req.on('error', (err: NodeJS.ErrnoException) => resolve(received(sent, start, 0, [], '', `${err.code ?? 'error'}: ${err.message}`)))
      req.end()
    })
  }

  private sendH2(sent: SentRequest): Promise<Received> {
    const start = performance.now()
    return new Promise((resolve) => {
      let done = false
      const finish = (r: Received) => {
        if (done) return
        done = true
        session.close()
        resolve(r)
      }
      const session = h2connect(`https://${sent.address}:${sent.port}`, {
        servername: sent.sni,
        ca: this.caPem,
        checkServerIdentity: () => undefined,
      })
      session.on('error', (err: NodeJS.ErrnoException) => finish(received(sent, start, 0, [], '', `${err.code ?? 'error'}: ${err.message}`)))
      session.setTimeout(REQUEST_TIMEOUT_MS, () => {
        finish(received(sent, start, 0, [], '', `no response within ${REQUEST_TIMEOUT_MS} ms`))
        session.destroy()
      })
      const headers: Record<string, string> = {
        [h2.HTTP2_HEADER_METHOD]: sent.method,
        [h2.HTTP2_HEADER_PATH]: sent.path,
        [h2.HTTP2_HEADER_SCHEME]: 'https',
      }
      for (const [k, v] of sent.headers) {
        if (k.toLowerCase() === 'host') headers[h2.HTTP2_HEADER_AUTHORITY] = v
        else headers[k.toLowerCase()] = v
      }
      sent.headers = sent.headers.map(([k, v]) => (k === 'Host' ? [':authority', v] : [k.toLowerCase(), v]))
      const stream = session.request(headers, { endStream: true })
      let status = 0
      let lines: [string, string][] = []
      const chunks: Buffer[] = []
      stream.on('response', (h) => {
        status = Number(h[h2.HTTP2_HEADER_STATUS] ?? 0)
        lines = []
        for (const [k, v] of Object.entries(h)) {
          if (k.startsWith(':') || v === undefined) continue
          for (const one of Array.isArray(v) ? v : [String(v)]) lines.push([k.toLowerCase(), one])
        }
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => finish(received(sent, start, status, lines, Buffer.concat(chunks).toString('utf8'))))
      stream.on('error', (err: NodeJS.ErrnoException) =>
        finish(received(sent, start, status, lines, Buffer.concat(chunks).toString('utf8'), `${err.code ?? 'error'}: ${err.message}`)),
      )
    })
  }

  close(): void {
    this.http.destroy()
    this.https.destroy()
  }
}
