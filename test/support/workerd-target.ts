/**
 * @module
 * A gateway Worker or a worker-proxy Worker under Miniflare (a real workerd process),
 * for the black-box suite and the Workers tests. The Workers are bundled from source
 * (scripts/build-worker.mjs, in memory) once per test process, so a test never runs a
 * stale dist/. The Worker is fed by the real control plane at `controlUrl` (signed
 * bundles, verified with `trustJwks`, kept in a KV namespace), with the admin endpoints
 * open on `/__weft/*` of its inbound URL.
 *
 * - role `gateway`: `url` is the gateway Worker (one listener: the Gateway's first HTTP
 *   listener, or `listener`).
 * - role `sidecar`: `url` is the OUTBOUND entry — the worker-proxy's `Outbound`
 *   entrypoint on a direct socket, standing in for the service binding an app Worker
 *   would use. An outbound call is an HTTP/1.1 request to `url` whose Host header names
 *   the mesh Service (`api`, `api.ns`, `api.ns:8080`, …): use node:http
 *   (`http.request({ host, port, path, headers: { host: 'api' } })`) or undici's
 *   `request`, NOT `fetch` (fetch cannot set Host). Absolute-form targets
 *   (`GET http://api/x`) are not supported by workerd (500). `inboundUrl` is the
 *   Worker's inbound side: requests there go to the app (`app`) through the APP binding.
 *
 * `ready()` and `version()` ask the Worker to refresh first (`POST /__weft/refresh`), as
 * a Cron Trigger would; requests refresh it too when the bundle is older than
 * `maxAgeSeconds` (default 1). `stop()` disposes Miniflare and waits for the workerd
 * process to be gone.
 *
 * @example
 * const t = await startWorkerdTarget({ role: 'gateway', controlUrl, trustJwks, token, gateway: 'default/edge' })
 * await t.ready()
 * await fetch(t.url + '/api')
 * await t.stop()
 */
import { readdirSync, readFileSync } from 'node:fs'
import { Miniflare, Log, LogLevel } from 'miniflare'

export interface WorkerdTargetOptions {
  role: 'gateway' | 'sidecar'
  controlUrl: string
  /** The control plane's JWKS, JSON text. */
  trustJwks: string
  token: string
  /** NS/NAME, for role gateway. */
  gateway?: string
  service?: string
  /** For role sidecar (default `default`). */
  namespace?: string
  /** For role sidecar: URL of the HTTP app the APP binding forwards to (http://127.0.0.1:PORT). */
  app?: string
  /** Extra: WEFT_LISTENER (a listener name or port) for role gateway. */
  listener?: string
  /** Extra: WEFT_BUNDLE_MAX_AGE in seconds (default 1). */
  maxAgeSeconds?: number
  /** Extra: a directory to persist KV in (a later target with the same directory starts from it). */
  kvPersist?: string
  /** Extra: WEFT_CONFIG instead of the control plane (controlUrl/trustJwks/token then unused). */
  config?: string
  /** Extra: WEFT_ADMIN (default `open`; ready()/version() need the admin endpoints open). */
  admin?: string
}

export interface WorkerdTarget {
  url: string
  /** Role sidecar: the inbound side (to the app); role gateway: same as url. */
  inboundUrl: string
  stop(): Promise<void>
  /** The workerd process. */
  pid?: number
  ready(): Promise<void>
  version(): Promise<number>
  /** Extra: bundles refused so far (the Worker's /__weft/stats), without refreshing. */
  rejections(): Promise<number>
  /** The Miniflare instance (cron: `(await mf.getWorker()).scheduled()`). */
  mf: Miniflare
  /** What workerd printed (the Workers' console.log lines). */
  output(): string
}

/** The Workers' compatibility date (the same as wrangler.toml; the newest this workerd supports is 2026-04-26). */
export const COMPATIBILITY_DATE = '2026-04-01'
/** The same as wrangler.toml: AsyncLocalStorage (runtime/workers/context.ts). */
export const COMPATIBILITY_FLAGS = ['nodejs_als']

let built: Promise<Record<string, string>> | undefined
/** The bundled Workers' code by name (`gateway`, `worker-proxy`), built once per process. */
export function workerCode(): Promise<Record<string, string>> {
  built ??= (async () => {
    const mod = (await import(new URL('../../scripts/build-worker.mjs', import.meta.url).href)) as { buildWorkers(o: { write: boolean }): Promise<Record<string, string>> }
    return mod.buildWorkers({ write: false })
  })()
  return built
}

const living = new Set<number>()
process.once('exit', () => {
  for (const pid of living) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
})

/** PIDs of this process's workerd children. */
function workerdChildren(): Set<number> {
  const out = new Set<number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid && comm.startsWith('workerd')) out.add(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startWorkerdTarget(opts: WorkerdTargetOptions): Promise<WorkerdTarget> {
  const code = await workerCode()
  let out = ''
  const bindings: Record<string, string> = {
    WEFT_ADMIN: opts.admin ?? 'open',
    WEFT_BUNDLE_MAX_AGE: String(opts.maxAgeSeconds ?? 1),
    ...(opts.config !== undefined ? { WEFT_CONFIG: opts.config } : { WEFT_CONTROL_URL: opts.controlUrl, WEFT_TRUST_JWKS: opts.trustJwks, WEFT_TOKEN: opts.token }),
  }
  const name = opts.role === 'gateway' ? 'weft-gateway' : 'weft-worker-proxy'
  let worker: Record<string, unknown>
  if (opts.role === 'gateway') {
    if (!opts.gateway) throw new Error('startWorkerdTarget: role gateway needs gateway (NS/NAME)')
    worker = { bindings: { ...bindings, WEFT_GATEWAY: opts.gateway, ...(opts.listener !== undefined && { WEFT_LISTENER: opts.listener }) } }
  } else {
    if (!opts.service || !opts.app) throw new Error('startWorkerdTarget: role sidecar needs service and app')
    const app = new URL(opts.app)
    worker = {
      bindings: { ...bindings, WEFT_SERVICE: opts.service, WEFT_NAMESPACE: opts.namespace ?? 'default' },
      // The app: workerd's own HTTP client to 127.0.0.1:PORT (what a service binding to an app Worker is on Cloudflare).
      serviceBindings: { APP: { external: { address: `${app.hostname}:${app.port || 80}`, http: {} } } },
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0, entrypoint: 'Outbound' }],
    }
  }
  const before = workerdChildren()
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    log: new Log(LogLevel.WARN),
    cf: false, // Miniflare's placeholder request.cf, never fetched from Cloudflare
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      stdout.on('data', (b: Buffer | string) => (out += b.toString()))
      stderr.on('data', (b: Buffer | string) => (out += b.toString()))
    },
    ...(opts.kvPersist !== undefined && { kvPersist: opts.kvPersist }),
    workers: [
      {
        name,
        modules: true,
        script: opts.role === 'gateway' ? code.gateway! : code['worker-proxy']!,
        compatibilityDate: COMPATIBILITY_DATE,
        compatibilityFlags: COMPATIBILITY_FLAGS,
        kvNamespaces: ['WEFT_BUNDLES'],
        ...worker,
      },
    ],
  } as ConstructorParameters<typeof Miniflare>[0])
  let inbound: URL
  try {
    inbound = await mf.ready
  } catch (err) {
    await mf.dispose().catch(() => {})
    throw new Error(`Miniflare did not start: ${(err as Error).message}\n${out}`)
  }
  const url = opts.role === 'gateway' ? inbound : await mf.unsafeGetDirectURL(name, 'Outbound')
  const pids = [...workerdChildren()].filter((p) => !before.has(p))
  const pid = pids.length === 1 ? pids[0] : undefined
  if (pid !== undefined) living.add(pid)
  const base = inbound.href.replace(/\/$/, '')

  const refresh = async () => {
    const r = await fetch(`${base}/__weft/refresh`, { method: 'POST' })
    const body = (await r.json().catch(() => ({}))) as { version?: number }
    return body.version ?? 0
  }
  let stopped: Promise<void> | undefined
  return {
    url: url.href.replace(/\/$/, ''),
    inboundUrl: base,
    pid,
    mf,
    output: () => out,
    async ready() {
      const end = Date.now() + 15_000
      for (;;) {
        await refresh().catch(() => 0)
        const r = await fetch(`${base}/__weft/ready`).catch(() => undefined)
        if (r?.status === 200) return
        if (Date.now() > end) throw new Error(`the ${opts.role} Worker has no verified bundle after 15 s; stats: ${await fetch(`${base}/__weft/stats`).then((x) => x.text()).catch((e) => String(e))}\n${out}`)
        await sleep(100)
      }
    },
    version: refresh,
    async rejections() {
      const s = (await (await fetch(`${base}/__weft/stats`)).json()) as { bundle?: { rejections?: number } }
      return s.bundle?.rejections ?? 0
    },
    stop() {
      stopped ??= (async () => {
        await mf.dispose()
        if (pid === undefined) return
        for (let i = 0; i < 100 && alive(pid); i++) await sleep(50)
        if (alive(pid)) process.kill(pid, 'SIGKILL')
        living.delete(pid)
      })()
      return stopped
    },
  }
}
