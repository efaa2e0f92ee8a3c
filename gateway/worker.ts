/**
 * @module
 * The gateway as a Cloudflare Worker (`wrangler.toml`, bundled by
 * scripts/build-worker.mjs into dist/worker/gateway.js). It serves one Gateway
 * (`WEFT_GATEWAY`, NS/NAME) from the control plane's signed bundles
 * (runtime/workers/bundles.ts: KV at isolate start, refresh on requests older than
 * WEFT_BUNDLE_MAX_AGE and on the Cron Trigger).
 *
 * A Worker is one listener without TLS (Cloudflare terminates TLS in front of it): it
 * serves the routes of ONE port of the Gateway — the listener named by `WEFT_LISTENER`
 * (a listener name, or a port number), default the Gateway's first HTTP listener (else
 * its first listener). Every listener on that port (hostname-specific ones included)
 * is served, as on a bound port; the others are not served by this Worker (deploy one
 * Worker per port if you need several). Requests are matched with the scheme of their
 * URL (what the client used to reach Cloudflare).
 *
 * @example
 * // wrangler.toml: main = "dist/worker/gateway.js"; [vars] WEFT_GATEWAY = "default/edge"
 */
import { gatewayScope } from '../core/bundle/format.js'
import type { ConfigSet } from '../core/config/types.js'
import { MetricsRegistry } from '../core/metrics/registry.js'
import { GatewayNotFound } from '../core/routing/compile-gateway.js'
import { buildGatewaySnapshot, describeSnapshot, type GatewaySnapshot } from '../core/snapshot/gateway-snapshot.js'
import { configMetrics, proxyMetrics } from '../core/stages/telemetry.js'
import { ADMIN_PREFIX, adminResponse } from '../runtime/workers/admin.js'
import { withContext } from '../runtime/workers/context.js'
import { peerIdentity } from '../runtime/workers/identity.js'
import { configErrorResponse, notReady, serveRequest } from '../runtime/workers/serve.js'
import { readCommonSettings, WorkerConfigError, type CommonEnv, type CommonSettings } from '../runtime/workers/settings.js'
import { snapshotSource, type SnapshotSource } from '../runtime/workers/source.js'
import type { ScheduledController, WorkerContext } from '../runtime/workers/types.js'
import { workersUpstream } from '../runtime/workers/upstream.js'

export interface GatewayEnv extends CommonEnv {
  /** The Gateway to serve, NAMESPACE/NAME. */
  WEFT_GATEWAY?: string
  /** The listener to serve: its name, or its port. Default: the first HTTP listener. */
  WEFT_LISTENER?: string | number
}

/** One activated bundle: the snapshot and the port this Worker serves of it (undefined: none, with why). */
interface Served {
  snap: GatewaySnapshot | undefined
  port: number | undefined
  why: string
}

const log = (msg: string) => console.log(`[weft gateway worker] ${msg}`)

/** Per isolate: built on the first event, kept while the isolate lives. */
let state: { settings: CommonSettings; source: SnapshotSource<Served>; registry: MetricsRegistry; gatewayRef: string } | undefined

function init(env: GatewayEnv) {
  if (state) return state
  const settings = readCommonSettings(env)
  const gatewayRef = env.WEFT_GATEWAY ?? ''
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(gatewayRef)
  if (!m) throw new WorkerConfigError(`WEFT_GATEWAY ${JSON.stringify(gatewayRef)}: expected the Gateway to serve as NAMESPACE/NAME, e.g. default/edge`)
  const registry = new MetricsRegistry()
  const metrics = proxyMetrics(registry)
  const { swaps, rejections, version } = configMetrics(registry)
  const upstream = workersUpstream()
  const listener = env.WEFT_LISTENER === undefined || env.WEFT_LISTENER === '' ? undefined : String(env.WEFT_LISTENER)
  const deps = { upstream, metrics, log: (msg: string, err?: unknown) => log(err === undefined ? msg : `${msg}: ${(err as Error)?.message ?? String(err)}`) }
  const build = (config: ConfigSet, v: number): Served => {
    let snap: GatewaySnapshot
    try {
      snap = buildGatewaySnapshot(config, gatewayRef, v, deps)
    } catch (err) {
      // Not applied yet (or deleted): a valid bundle that serves nothing, like the Node gateway with no listeners.
      if (err instanceof GatewayNotFound) return { snap: undefined, port: undefined, why: `Gateway ${gatewayRef} is not in bundle version ${v} (not applied yet?)` }
      throw err
    }
    swaps.inc()
    version.set(v)
    for (const w of snap.compiled.warnings) log(`warning: ${w}`)
    return { snap, ...servedPort(snap, listener) }
  }
  const source = snapshotSource(settings.source, {
    scope: gatewayScope(m[1]!, m[3]!),
    registry,
    build,
    onReject: () => rejections.inc(),
    log,
  })
  state = { settings, source, registry, gatewayRef }
  return state
}

/** The port this Worker serves: WEFT_LISTENER's (by name or port), else the first HTTP listener's, else the first listener's. */
function servedPort(snap: GatewaySnapshot, listener: string | undefined): { port: number | undefined; why: string } {
  const all = [...snap.compiled.ports.values()].flatMap((p) => p.all)
  if (listener !== undefined) {
    const l = all.find((x) => x.name === listener || String(x.port) === listener)
    if (l) return { port: l.port, why: '' }
    return { port: undefined, why: `Gateway ${snap.gatewayRef} has no listener named or on port ${listener} (WEFT_LISTENER); it has ${all.map((x) => `${x.name}:${x.port}`).join(', ') || 'none'}` }
  }
  const l = all.find((x) => x.protocol === 'HTTP') ?? all[0]
  return l ? { port: l.port, why: '' } : { port: undefined, why: `Gateway ${snap.gatewayRef} has no HTTP listener` }
}

export default {
  fetch(request: Request, env: GatewayEnv, ctx: WorkerContext): Promise<Response> {
    return withContext(ctx, () => handle(request, env, ctx))
  },

  scheduled(_controller: ScheduledController, env: GatewayEnv, ctx: WorkerContext): Promise<void> {
    return withContext(ctx, () => init(env).source.scheduled())
  },
}

async function handle(request: Request, env: GatewayEnv, ctx: WorkerContext): Promise<Response> {
  try {
    const s = init(env)
    // The admin endpoints see the isolate as booted (KV / WEFT_CONFIG) but never trigger a refresh, except POST refresh.
    if (s.settings.admin !== undefined && new URL(request.url).pathname.startsWith(ADMIN_PREFIX)) await s.source.boot()
    const admin = await adminResponse(request, s.settings.admin, {
      ready: () => s.source.current !== undefined,
      stats: () => ({ gateway: s.gatewayRef, port: s.source.current?.port ?? null, ...(s.source.toJSON() as object) }),
      metrics: () => s.registry.render(),
      config: () => (s.source.current?.snap ? describeSnapshot(s.source.current.snap) : { version: s.source.version, why: s.source.current?.why ?? 'no bundle' }),
      refresh: async () => {
        await s.source.scheduled()
        return s.source.toJSON()
      },
    })
    if (admin) return admin
    if (!(await s.source.ready(ctx))) return notReady('no verified bundle yet (the control plane could not be reached and KV holds none)')
    const served = s.source.current!
    if (!served.snap || served.port === undefined) return notReady(served.why)
    peerIdentity(request) // the identity seam: read, not enforced (runtime/workers/identity.ts)
    return await serveRequest(request, served.snap.handler, { scheme: request.url.startsWith('https:') ? 'https' : 'http', port: served.port })
  } catch (err) {
    return configErrorResponse(err, log)
  }
}
