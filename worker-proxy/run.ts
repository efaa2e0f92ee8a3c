/**
 * @module
 * `weft proxy` on Node: the sidecar of one service instance.
 *
 * - inbound listener (`--inbound`): peers' sidecars reach this instance here; every
 *   request goes to the local app (worker-proxy/inbound.ts).
 * - outbound listener (`--outbound`): the app's calls, as to an HTTP proxy
 *   (absolute-form) or with the destination in Host; routed by the outbound snapshot
 *   (core/mesh) built from the active signed bundle of scope
 *   `sidecar.NAMESPACE.SERVICE`, swapped whole when a new bundle activates.
 * - registration (worker-proxy/registration.ts): the instance is registered with a
 *   lease once the inbound listener is bound, renewed while running, deregistered
 *   on close.
 * - admin (`--admin`): `/ready` 200 once a verified (or cached) bundle is active;
 *   `/config`, `/stats`, `/metrics`.
 *
 * @example
 * const sc = await runSidecar({ service: 'api', namespace: 'default', app: 'http://127.0.0.1:3000', control: { url, trustFile: 'jwks.json' }, inbound: '127.0.0.1:0', outbound: '127.0.0.1:0', admin: '127.0.0.1:0' })
 * await sc.close() // deregister, stop accepting, drain
 */
import { connectTunnel } from './connect.js'
import { hostname, networkInterfaces } from 'node:os'
import { MetricsRegistry } from '../core/metrics/registry.js'
import { buildOutboundSnapshot, describeOutbound, type OutboundSnapshot } from '../core/mesh/outbound-snapshot.js'
import { SnapshotStore } from '../core/snapshot/store.js'
import { configMetrics, proxyMetrics } from '../core/stages/telemetry.js'
import { errorResponse } from '../core/stages/rescue.js'
import { sidecarScope } from '../core/bundle/format.js'
import type { ConfigSet } from '../core/config/types.js'
import { loadRuntime } from '../runtime/select.js'
import type { Listening, Runtime } from '../runtime/types.js'
import { startAdmin } from '../runtime/node/admin.js'
import { parseHostPort } from '../cli/host-port.js'
import { controlSource } from '../gateway/control-source.js'
import { appEndpoint, inboundHandler } from './inbound.js'
import { registration } from './registration.js'

export interface SidecarOptions {
  service: string
  namespace?: string
  /** The local app, `http://HOST:PORT`. */
  app: string
  control: { url: string; token?: string | undefined; trustFile: string; dataDir?: string | undefined; waitSeconds?: number }
  /** HOST:PORT, default 0.0.0.0:15006. */
  inbound?: string
  /** HOST:PORT, default 127.0.0.1:15001. */
  outbound?: string
  /** HOST:PORT registered for peers to reach this instance; default the inbound address (a wildcard becomes this host's first external IPv4). */
  advertise?: string
  /** HOST:PORT, default 127.0.0.1:15000; '' for none. */
  admin?: string
  /** Instance id registered with the control plane; default SERVICE-HOST-PID. */
  instance?: string
  /** Registration lease, seconds (default 15). */
  leaseSeconds?: number
  /** How long close() waits for requests in flight (ms, default 10 000). */
  drainMs?: number
  /**
   * How long close() keeps accepting after deregistering (ms, default 1000), so peers
   * have the bundle without this instance before its listeners stop: a rolling
   * restart then fails no request.
   */
  deregisterGraceMs?: number
  /** The runtime adapter; default the one this process runs on. */
  runtime?: Runtime
  log?: (msg: string) => void
}

export async function runSidecar(opts: SidecarOptions) {
  const namespace = opts.namespace ?? 'default'
  const log = opts.log ?? ((msg: string) => console.error(`[weft proxy ${namespace}/${opts.service}] ${msg}`))
  const scope = sidecarScope(namespace, opts.service)
  const app = appEndpoint(opts.app)
  const inboundAt = parseHostPort(opts.inbound ?? '0.0.0.0:15006', '--inbound')
  const outboundAt = parseHostPort(opts.outbound ?? '127.0.0.1:15001', '--outbound')
  const adminAt = opts.admin === '' ? undefined : parseHostPort(opts.admin ?? '127.0.0.1:15000', '--admin')
  const advertise = opts.advertise ? parseHostPort(opts.advertise, '--advertise') : undefined
  const leaseSeconds = opts.leaseSeconds ?? 15
  const drainMs = opts.drainMs ?? 10_000
  const graceMs = opts.deregisterGraceMs ?? 1000
  const instance = opts.instance ?? `${opts.service}-${hostname()}-${process.pid}`.replace(/[^-A-Za-z0-9_.:]/g, '-').slice(0, 253)

  const runtime = opts.runtime ?? (await loadRuntime())
  const upstream = runtime.createUpstream()
  const registry = new MetricsRegistry()
  const metrics = proxyMetrics(registry)
  const { swaps, rejections, version: versionGauge } = configMetrics(registry)
  const store = new SnapshotStore<OutboundSnapshot>()
  const deps = { upstream, metrics, log: (msg: string, err?: unknown) => log(err === undefined ? msg : `${msg}: ${(err as Error)?.message ?? String(err)}`) }

  const opened: { close(): Promise<void> }[] = []
  const cleanup = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => {})
    await upstream.close().catch(() => {})
  }

  const client = await controlSource({
    url: opts.control.url,
    token: opts.control.token,
    trustFile: opts.control.trustFile,
    dataDir: opts.control.dataDir,
    scope,
    instance,
    registry,
    log,
    onReject: (err: unknown) => {
      store.reject((err as Error).message)
      rejections.inc()
    },
    ...(opts.control.waitSeconds !== undefined && { waitSeconds: opts.control.waitSeconds }),
    activator: {
      build: (config: ConfigSet, version: number) => buildOutboundSnapshot(config, namespace, version, deps),
      commit: (snap: OutboundSnapshot) => {
        store.swap(snap)
        swaps.inc()
        versionGauge.set(snap.version)
      },
    },
  })

  let inbound: Listening, outbound: Listening
  try {
    const toApp = inboundHandler(app, deps)
    inbound = await runtime.serve({ ...inboundAt, closeTimeout: drainMs, handler: (req, signal) => toApp(req, { start: performance.now(), signal }) })
    opened.push(inbound)
    outbound = await runtime.serve({
      ...outboundAt,
      closeTimeout: drainMs,
      // HTTPS_PROXY-style calls: a TCP tunnel to the target (egress; TLS stays end to end).
      onConnect: (req, socket, head) => connectTunnel(req as never, socket as never, head as never, { log }),
      handler: (req, signal) => {
        const snap = store.current
        if (!snap) return Promise.resolve(errorResponse(new Error('not ready: no verified bundle active yet')))
        return snap.handler(req, { start: performance.now(), signal })
      },
    })
    opened.push(outbound)
  } catch (err) {
    await cleanup()
    throw err
  }

  const reg = registration({
    controlUrl: opts.control.url,
    scope,
    instance,
    address: advertise?.address ?? advertisedAddress(inboundAt.address),
    port: advertise?.port ?? inbound.port,
    leaseSeconds,
    token: opts.control.token,
    log,
  })

  const admin = adminAt
    ? await startAdmin({
        ...adminAt,
        ready: () => store.current !== undefined,
        config: () => (store.current ? describeOutbound(store.current) : { version: 0 }),
        stats: () => ({
          service: `${namespace}/${opts.service}`,
          scope,
          version: store.current?.version ?? 0,
          swaps: store.swaps,
          rejections: store.rejections,
          lastError: store.lastError ?? null,
          bundle: client.status.toJSON(),
          registration: reg.stats(),
          inbound: { address: inboundAt.address, port: inbound.port, app: app.key },
          outbound: { address: outboundAt.address, port: outbound.port },
          upstream: upstream.stats,
        }),
        metrics: () => registry.render(),
      }).catch(async (err) => {
        await cleanup()
        throw err
      })
    : undefined
  if (admin) log(`admin on http://${adminAt!.address}:${admin.port}`)
  log(`on ${runtime.name}: inbound on ${inboundAt.address}:${inbound.port} → app ${app.key}; outbound on ${outboundAt.address}:${outbound.port}`)
  log(`bundles from ${opts.control.url} (scope ${scope}${opts.control.dataDir ? `, last-known-good kept in ${opts.control.dataDir}` : ', nothing persisted: no --data'})`)

  await client.start()
  await reg.start()

  let closing: Promise<void> | undefined
  return {
    store,
    client,
    registration: reg,
    instance,
    inboundPort: inbound.port,
    outboundPort: outbound.port,
    adminPort: admin?.port,
    /**
     * Deregister, keep serving for the grace (peers drop this instance from their
     * bundles meanwhile), then stop accepting and drain requests in flight (bounded);
     * stop polling. Stopping the listeners first would refuse peers' calls in the
     * moment before their bundles change (seen as 502s in a rolling restart).
     */
    close(): Promise<void> {
      closing ??= (async () => {
        const wasRegistered = reg.registered
        await reg.stop()
        if (wasRegistered && graceMs > 0) await new Promise((r) => setTimeout(r, graceMs))
        await Promise.all([inbound.close(), outbound.close()])
        await client.stop()
        await admin?.close()
        await upstream.close()
      })()
      return closing
    },
  }
}

/** The inbound address, or for a wildcard this host's first external IPv4 (else 127.0.0.1). */
function advertisedAddress(address: string): string {
  if (address !== '0.0.0.0' && address !== '::') return address
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return '127.0.0.1'
}
