/**
 * @module
 * The sidecar ("worker-proxy") of a Worker service, itself a Worker
 * (`wrangler.toml` env `worker-proxy`, bundled into dist/worker/worker-proxy.js). Two
 * entrypoints, so the direction of a request is never guessed from what it carries:
 *
 * - default `fetch` — INBOUND: requests from outside (the Worker's route, peers).
 *   They go to the app through the `APP` service binding, through the same stages as
 *   the Node sidecar's inbound (worker-proxy/inbound.ts: telemetry, rescue, forwarding
 *   headers). The app sees the Host the client used. The admin endpoints
 *   (`/__weft/*`, when WEFT_ADMIN is set) answer here.
 * - named entrypoint `Outbound` — OUTBOUND: the app's calls into the mesh, through a
 *   service binding to this entrypoint (`env.MESH.fetch('http://api/path')`, wrangler:
 *   `services = [{ binding = "MESH", service = "weft-worker-proxy", entrypoint =
 *   "Outbound" }]`). The destination is the URL's authority (a mesh Service as `NAME`,
 *   `NAME.NS`, `NAME.NS.svc[.cluster.local]`, optional `:PORT`), routed by the outbound
 *   snapshot of scope `sidecar.NS.SVC` (GAMMA routes, splits, filters) and sent with
 *   `fetch` to the chosen endpoints; any other host passes through (egress).
 *   Only a service binding reaches a named entrypoint: outsiders cannot use the
 *   proxy to call into the mesh (a Host-based split would make it an open proxy).
 *
 * Not applicable on Workers: registration (a Worker instance has no address peers
 * could call; peers reach a Worker service through its route, as a static endpoint),
 * CONNECT tunnels (no raw sockets), absolute-form request targets (workerd refuses
 * them with 500 on a direct socket; a service binding always sends origin-form).
 *
 * @example
 * // in the app Worker: const res = await env.MESH.fetch('http://api/users/7')
 */
import { sidecarScope } from '../core/bundle/format.js'
import type { ConfigSet } from '../core/config/types.js'
import { MetricsRegistry } from '../core/metrics/registry.js'
import { buildOutboundSnapshot, describeOutbound, type OutboundSnapshot } from '../core/mesh/outbound-snapshot.js'
import type { Handler } from '../core/pipeline/stage.js'
import { configMetrics, proxyMetrics } from '../core/stages/telemetry.js'
import { ADMIN_PREFIX, adminResponse } from '../runtime/workers/admin.js'
import { withContext } from '../runtime/workers/context.js'
import { attachIdentity, peerIdentity } from '../runtime/workers/identity.js'
import { configErrorResponse, notReady, serveRequest } from '../runtime/workers/serve.js'
import { readCommonSettings, WorkerConfigError, type CommonEnv, type CommonSettings } from '../runtime/workers/settings.js'
import { snapshotSource, type SnapshotSource } from '../runtime/workers/source.js'
import type { Fetcher, ScheduledController, WorkerContext } from '../runtime/workers/types.js'
import { bindingUpstream, workersUpstream } from '../runtime/workers/upstream.js'
import { inboundHandler } from './inbound.js'

export interface SidecarEnv extends CommonEnv {
  /** The Service this proxy fronts (its scope is sidecar.NAMESPACE.SERVICE). */
  WEFT_SERVICE?: string
  /** Its namespace (default `default`); short Service names are looked up in it. */
  WEFT_NAMESPACE?: string
  /** Service binding to the app Worker. */
  APP?: Fetcher
}

const log = (msg: string) => console.log(`[weft worker-proxy] ${msg}`)
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

let state:
  | { settings: CommonSettings; source: SnapshotSource<OutboundSnapshot>; registry: MetricsRegistry; service: string; namespace: string; inbound: Handler }
  | undefined

function init(env: SidecarEnv) {
  if (state) return state
  const settings = readCommonSettings(env)
  const service = env.WEFT_SERVICE ?? ''
  const namespace = env.WEFT_NAMESPACE || 'default'
  if (!LABEL.test(service)) throw new WorkerConfigError(`WEFT_SERVICE ${JSON.stringify(service)}: expected the name of the Service this proxy fronts (a lower-case DNS label)`)
  if (!LABEL.test(namespace)) throw new WorkerConfigError(`WEFT_NAMESPACE ${JSON.stringify(namespace)}: expected a lower-case DNS label`)
  if (!env.APP || typeof env.APP.fetch !== 'function') throw new WorkerConfigError('APP is not a service binding: bind the app Worker as APP (wrangler.toml services = [{ binding = "APP", service = "..." }])')
  const registry = new MetricsRegistry()
  const metrics = proxyMetrics(registry)
  const { swaps, rejections, version } = configMetrics(registry)
  const logErr = (msg: string, err?: unknown) => log(err === undefined ? msg : `${msg}: ${(err as Error)?.message ?? String(err)}`)
  const outboundDeps = { upstream: workersUpstream(), metrics, log: logErr }
  const inbound = inboundHandler({ address: 'app', port: 80, key: 'app' }, { upstream: bindingUpstream(env.APP), metrics, log: logErr })
  const source = snapshotSource(settings.source, {
    scope: sidecarScope(namespace, service),
    registry,
    build: (config: ConfigSet, v: number) => {
      const snap = buildOutboundSnapshot(config, namespace, v, outboundDeps)
      swaps.inc()
      version.set(v)
      return snap
    },
    onReject: () => rejections.inc(),
    log,
  })
  state = { settings, source, registry, service, namespace, inbound }
  return state
}

const scheme = (request: Request) => (request.url.startsWith('https:') ? 'https' : 'http')

export default {
  /** Inbound: from outside to the app (APP binding). */
  fetch(request: Request, env: SidecarEnv, ctx: WorkerContext): Promise<Response> {
    return withContext(ctx, () => inbound(request, env, ctx))
  },

  scheduled(_controller: ScheduledController, env: SidecarEnv, ctx: WorkerContext): Promise<void> {
    return withContext(ctx, () => init(env).source.scheduled())
  },
}

/** Outbound: the app's calls into the mesh (service binding with `entrypoint = "Outbound"`). */
export const Outbound = {
  fetch(request: Request, env: SidecarEnv, ctx: WorkerContext): Promise<Response> {
    return withContext(ctx, () => outbound(request, env, ctx))
  },
}

async function inbound(request: Request, env: SidecarEnv, ctx: WorkerContext): Promise<Response> {
  try {
    const s = init(env)
    // The admin endpoints see the isolate as booted (KV / WEFT_CONFIG) but never trigger a refresh, except POST refresh.
    if (s.settings.admin !== undefined && new URL(request.url).pathname.startsWith(ADMIN_PREFIX)) await s.source.boot()
    const admin = await adminResponse(request, s.settings.admin, {
      ready: () => s.source.current !== undefined,
      stats: () => ({ service: `${s.namespace}/${s.service}`, ...(s.source.toJSON() as object) }),
      metrics: () => s.registry.render(),
      config: () => (s.source.current ? describeOutbound(s.source.current) : { version: 0 }),
      refresh: async () => {
        await s.source.scheduled()
        return s.source.toJSON()
      },
    })
    if (admin) return admin
    // Inbound does not need a bundle; the request only gives the bundle a chance to refresh.
    ctx.waitUntil(s.source.ready(ctx).catch(() => {}))
    peerIdentity(request) // the identity seam: read, not enforced (runtime/workers/identity.ts)
    return await serveRequest(request, s.inbound, { scheme: scheme(request), port: 80 })
  } catch (err) {
    return configErrorResponse(err, log)
  }
}

async function outbound(request: Request, env: SidecarEnv, ctx: WorkerContext): Promise<Response> {
  try {
    const s = init(env)
    if (!(await s.source.ready(ctx))) return notReady('no verified bundle yet (the control plane could not be reached and KV holds none)')
    return await serveRequest(request, s.source.current!.handler, { scheme: 'http', port: 80, prepare: (req) => attachIdentity(req.headers) })
  } catch (err) {
    return configErrorResponse(err, log)
  }
}
