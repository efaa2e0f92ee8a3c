/**
 * @module
 * The Gateway API conformance echo backend (echo-basic), as plain node:http servers on
 * 127.0.0.1, one per backend Service. Each answers 200 with a JSON echo of the request:
 * `{path, host, method, proto, headers: {Name: [values]}, namespace, pod}`, where `pod`
 * is `<service-name>-<random>` (the conformance checks the serving backend by name
 * prefix) and `namespace` the Service namespace. It also understands:
 *
 * - `?delay=<Go duration>` (`500ms`, `1s`, `1m30s`): wait that long before answering;
 * - `X-Echo-Set-Header: Name:value,Name2:value2`: put those headers on the response;
 * - paths under `/retry/` with `?uuid=U&succeedAfter=N[&responseCode=C][&delayRetry=D]`:
 *   the first N requests for U fail (status C, or a TCP reset when C is absent), each
 *   after waiting D when given; later ones echo normally.
 *
 * Every request is recorded on arrival (the "Echoing back request made to ..." log line
 * upstream's mirror checks read), so tests can wait for and inspect what a backend got.
 *
 * @example
 * const echo = await startEchoBackends([{ namespace: 'gateway-conformance-infra', name: 'infra-backend-v1' }])
 * echo.ports.get('gateway-conformance-infra/infra-backend-v1') // 127.0.0.1 port
 * const mark = echo.requests.mark()
 * // ... send a request through the gateway ...
 * await echo.requests.waitFor((r) => r.service === 'infra-backend-v2' && r.path === '/mirror', { since: mark })
 * await echo.close()
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { randomBytes } from 'node:crypto'

export interface BackendName {
  namespace: string
  name: string
}

/** The JSON body the echo backend answers with (echo-basic's RequestAssertions). */
export interface EchoBody {
  path: string
  host: string
  method: string
  proto: string
  headers: Record<string, string[]>
  namespace: string
  pod: string
}

/** One request an echo backend received. */
export interface EchoRecord {
  /** Increases by one per request over all backends of one `startEchoBackends` call. */
  seq: number
  /** Milliseconds since the epoch, on arrival. */
  at: number
  namespace: string
  /** The Service name. */
  service: string
  pod: string
  method: string
  /** Request URI: path plus query, as received. */
  path: string
  host: string
  headers: Record<string, string[]>
}

export interface EchoRequestLog {
  /** Every request received so far, oldest first. */
  all(): readonly EchoRecord[]
  /** A position in the log: pass it as `since` to see only later requests. */
  mark(): number
  /** Requests received after `since` (a `mark()`), optionally filtered. */
  since(since: number, pred?: (r: EchoRecord) => boolean): EchoRecord[]
  /** The first request after `since` matching `pred`, waiting up to `timeoutMs` (default 2000) for it. */
  waitFor(pred: (r: EchoRecord) => boolean, opts?: { since?: number; timeoutMs?: number }): Promise<EchoRecord | undefined>
  /** Resolve once no request matching `pred` has arrived for `quietMs`, or after `timeoutMs`; returns the matching requests after `since`. */
  settle(pred: (r: EchoRecord) => boolean, opts: { since: number; quietMs?: number; timeoutMs?: number }): Promise<EchoRecord[]>
}

export interface EchoBackends {
  /** Listening port on 127.0.0.1 per backend, keyed `namespace/name`. */
  ports: Map<string, number>
  /** Pod name per backend, keyed `namespace/name` (starts with the Service name). */
  pods: Map<string, string>
  requests: EchoRequestLog
  close(): Promise<void>
}

export const echoKey = (b: BackendName): string => `${b.namespace}/${b.name}`

/** Parse a Go `time.ParseDuration` string (`300ms`, `1.5s`, `1m30s`, `2h`) to milliseconds. */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let rest = s.trim()
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') throw new Error(`invalid duration "${s}"`)
  let total = 0
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/
  while (rest.length > 0) {
    const m = re.exec(rest)
    if (!m) throw new Error(`invalid duration "${s}"`)
    total += Number(m[1]) * units[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return sign * total
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-header-set` → `X-Header-Set`. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('-')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function requestLog(): EchoRequestLog & { push(r: Omit<EchoRecord, 'seq'>): void } {
  const records: EchoRecord[] = []
  const waiters = new Set<() => void>()
  const since = (from: number, pred?: (r: EchoRecord) => boolean) => records.filter((r) => r.seq > from && (!pred || pred(r)))
  const nextArrival = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t)
        waiters.delete(done)
        resolve()
      }
      const t = setTimeout(done, ms)
      waiters.add(done)
    })
  return {
    push(r) {
      records.push({ ...r, seq: records.length + 1 })
      for (const w of [...waiters]) w()
    },
    all: () => records,
    mark: () => records.length,
    since,
    async waitFor(pred, opts = {}) {
      const from = opts.since ?? 0
      const deadline = Date.now() + (opts.timeoutMs ?? 2000)
      for (;;) {
        const hit = since(from, pred)[0]
        if (hit) return hit
        const left = deadline - Date.now()
        if (left <= 0) return undefined
        await nextArrival(left)
      }
    },
    async settle(pred, opts) {
      const quiet = opts.quietMs ?? 300
      const deadline = Date.now() + (opts.timeoutMs ?? 3000)
      let count = since(opts.since, pred).length
      for (;;) {
        const left = deadline - Date.now()
        if (left <= 0) break
        await sleep(Math.min(quiet, left))
        const now = since(opts.since, pred).length
        if (now === count) break
        count = now
      }
      return since(opts.since, pred)
    },
  }
}

/** Request headers as Go's net/http shows them: canonical names, every value, Host left out. */
function goHeaders(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderName(raw[i]!)
    if (name === 'Host') continue
    ;(out[name] ??= []).push(raw[i + 1]!)
  }
  return out
}

/** `X-Echo-Set-Header: Name:value,Name2:value2` → response headers (repeats joined with ','). */
function echoSetHeaders(req: IncomingMessage, res: ServerResponse): void {
  const spec = req.headers['x-echo-set-header']
  const value = Array.isArray(spec) ? spec.join(',') : spec
  if (!value) return
  const set = new Map<string, { name: string; values: string[] }>()
  for (const item of value.split(',')) {
    const at = item.indexOf(':')
    if (at <= 0) continue
    const name = item.slice(0, at).trim()
    const v = item.slice(at + 1).trim()
    const entry = set.get(name.toLowerCase()) ?? { name, values: [] }
    entry.values.push(v)
    set.set(name.toLowerCase(), entry)
  }
  for (const { name, values } of set.values()) res.setHeader(name, values.join(','))
}

function startOne(b: BackendName, pod: string, log: ReturnType<typeof requestLog>): Promise<Server> {
  const attempts = new Map<string, number>()
  const server = createServer(async (req, res) => {
    const uri = req.url ?? '/'
    const url = new URL(uri, 'http://echo.invalid')
    const headers = goHeaders(req)
    log.push({ at: Date.now(), namespace: b.namespace, service: b.name, pod, method: req.method ?? '', path: uri, host: req.headers.host ?? '', headers })
    req.resume()
    await new Promise<void>((ok) => (req.readableEnded ? ok() : req.once('end', ok).once('error', () => ok())))
    try {
      const delay = url.searchParams.get('delay')
      if (delay !== null) await sleep(parseGoDuration(delay))
      if (url.pathname.startsWith('/retry/')) {
        const uuid = url.searchParams.get('uuid')
        const succeedAfter = url.searchParams.get('succeedAfter')
        if (!uuid || succeedAfter === null) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('/retry/ needs ?uuid=&succeedAfter=\n')
          return
        }
        const n = (attempts.get(uuid) ?? 0) + 1
        attempts.set(uuid, n)
        if (n <= Number(succeedAfter)) {
          const delayRetry = url.searchParams.get('delayRetry')
          if (delayRetry !== null) await sleep(parseGoDuration(delayRetry))
          const code = url.searchParams.get('responseCode')
          if (code === null) {
            const socket = req.socket as Socket & { resetAndDestroy?: () => void }
            if (socket.resetAndDestroy) socket.resetAndDestroy()
            else socket.destroy()
            return
          }
          res.writeHead(Number(code), { 'content-type': 'text/plain' }).end(`simulated failure ${n} of ${succeedAfter} for ${uuid}\n`)
          return
        }
      }
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`)
      return
    }
    const body: EchoBody = {
      path: uri,
      host: req.headers.host ?? '',
      method: req.method ?? '',
      proto: `HTTP/${req.httpVersion}`,
      headers,
      namespace: b.namespace,
      pod,
    }
    echoSetHeaders(req, res)
    res.setHeader('Content-Type', 'application/json')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.end(JSON.stringify(body, null, 1))
  })
  // Long enough that a proxy's pooled connection is not closed under it mid-test.
  server.keepAliveTimeout = 65_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

/** Start one echo server per backend on 127.0.0.1 (ephemeral ports). */
export async function startEchoBackends(names: BackendName[]): Promise<EchoBackends> {
  const log = requestLog()
  const ports = new Map<string, number>()
  const pods = new Map<string, string>()
  const servers: Server[] = []
  try {
    for (const b of names) {
      const key = echoKey(b)
      if (ports.has(key)) continue
      const pod = `${b.name}-${randomBytes(4).toString('hex')}-${randomBytes(3).toString('hex').slice(0, 5)}`
      const server = await startOne(b, pod, log)
      servers.push(server)
      ports.set(key, (server.address() as AddressInfo).port)
      pods.set(key, pod)
    }
  } catch (err) {
    for (const s of servers) s.close()
    throw err
  }
  return {
    ports,
    pods,
    requests: log,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((ok) => {
              s.close(() => ok())
              s.closeAllConnections()
            }),
        ),
      )
    },
  }
}
