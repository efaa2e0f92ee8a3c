/**
 * @module
 * The "app" side of a mesh call: send one request to a sidecar's outbound listener,
 * origin-form (`GET /path` with `Host: echo`) or absolute-form, as an app with
 * `HTTP_PROXY` sends it (`GET http://echo/path`, Host as the case says). Never
 * follows redirects; keep-alive connections are reused across calls (to different
 * Services too), as an app's HTTP client does.
 *
 * @example
 * const app = new MeshApp()
 * const res = await app.send(sidecars.outbound('mesh'), { form: 'origin-form', host: 'echo', path: '/' })
 */
import { Agent, request } from 'node:http'
import type { EchoBody } from '../fakes/echo-backend.js'

export type RequestForm = 'origin-form' | 'absolute-form'

export interface AppRequest {
  form: RequestForm
  /** The destination as the app addresses it (`echo`, `echo-v1.ns:8080`, `127.0.0.1:40000`). */
  host: string
  /** A Host header different from the destination (absolute-form only). */
  hostHeader?: string
  method?: string
  path: string
  headers?: Record<string, string>
}

export interface AppResponse {
  /** The request line and header lines sent (for failure messages). */
  sent: string
  /** 0 when no response arrived (see `error`). */
  status: number
  /** Response header lines as received, names lower-cased. */
  headerLines: [string, string][]
  body: string
  echo?: EchoBody
  error?: string
  /** All values of a response header (case-insensitive), joined with ','; undefined when absent. */
  header(name: string): string | undefined
}

export class MeshApp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 })

  send(to: { address: string; port: number }, r: AppRequest): Promise<AppResponse> {
    const method = r.method ?? 'GET'
    const target = r.form === 'absolute-form' ? `http://${r.host}${r.path}` : r.path
    const headers: [string, string][] = [['Host', r.hostHeader ?? r.host], ...Object.entries(r.headers ?? {})]
    const sent = [`${method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)].join('\n')
    return new Promise((resolve) => {
      const done = (status: number, headerLines: [string, string][], body: string, error?: string) => {
        let echo: EchoBody | undefined
        if (body.startsWith('{')) {
          try {
            const parsed = JSON.parse(body) as EchoBody
            if (typeof parsed?.pod === 'string') echo = parsed
          } catch {
            // not an echo
          }
        }
        resolve({
          sent, status, headerLines, body, echo, error,
          header(name) {
            const n = name.toLowerCase()
            const vs = headerLines.filter(([k]) => k === n).map(([, v]) => v)
            return vs.length ? vs.join(',') : undefined
          },
        })
      }
      const req = request({ host: to.address, port: to.port, method, path: target, headers: Object.fromEntries(headers), agent: this.agent, setHost: false })
      req.setTimeout(10_000, () => req.destroy(new Error('timed out after 10 s')))
      req.on('error', (err) => done(0, [], '', err.message))
      req.on('response', (res) => {
        const lines: [string, string][] = []
        for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(res.statusCode ?? 0, lines, Buffer.concat(chunks).toString('utf8')))
        res.on('error', (err) => done(res.statusCode ?? 0, lines, Buffer.concat(chunks).toString('utf8'), err.message))
      })
      req.end()
    })
  }

  close(): void {
    this.agent.destroy()
  }
}
