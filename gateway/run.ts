/**
 * @module
 * `weft gateway` on Node. The snapshot source is either local files (`--config`: load
 * and compile, swap in a new snapshot whenever a file changes; a config that fails is
 * rejected whole, every issue logged and counted) or the control plane (`--control`:
 * signed bundles through core/bundle's client, see gateway/control-source.ts). Either
 * way: bind each listener, serve the admin endpoints, keep the previous snapshot
 * serving on any failure.
 *
 * @example
 * const gw = await runGateway({ configFiles: ['mesh.yaml'], gatewayRef: 'default/edge', address: '0.0.0.0', admin: '127.0.0.1:15000' })
 * const gw2 = await runGateway({ control: { url, trustFile: 'jwks.json', dataDir: '.weft' }, gatewayRef: 'default/edge', address: '0.0.0.0' })
 * await gw.close()
 */
import type { ConfigSet } from '../core/config/types.js'
import { MetricsRegistry } from '../core/metrics/registry.js'
import { buildGatewaySnapshot, describeSnapshot, type GatewaySnapshot } from '../core/snapshot/gateway-snapshot.js'
import { SnapshotStore } from '../core/snapshot/store.js'
import { configMetrics, proxyMetrics } from '../core/stages/telemetry.js'
import { loadRuntime } from '../runtime/select.js'
import type { ProxyUpstream, Runtime } from '../runtime/types.js'
import { startAdmin } from '../runtime/node/admin.js'
import { readConfigFiles, watchFiles } from './file-source.js'
import { ListenerSet } from './listeners.js'
import { errorResponse } from '../core/stages/rescue.js'
import { parseHostPort } from '../cli/host-port.js'
import { gatewayScope } from '../core/bundle/format.js'
import { controlSource } from './control-source.js'

export interface GatewayOptions {
  /** Config from files (exactly one of configFiles and control). */
  configFiles?: string[]
  /** Config from the control plane's signed bundles. */
  control?: { url: string; token?: string | undefined; trustFile: string; dataDir?: string | undefined; instance?: string; waitSeconds?: number }
  gatewayRef: string
  address: string
  admin?: string
  /** The runtime adapter; default the one this process runs on. */
  runtime?: Runtime
  log?: (msg: string) => void
}

export class ConfigRejected extends Error {
  constructor(readonly details: string) {
    super(`config rejected, nothing of it applied:\n${details}`)
    this.name = 'ConfigRejected'
  }
}

export async function runGateway(opts: GatewayOptions) {
  const log = opts.log ?? ((msg: string) => console.error(`[weft gateway] ${msg}`))
  const runtime = opts.runtime ?? (await loadRuntime())
  const upstream = runtime.createUpstream()
  const registry = new MetricsRegistry()
  const metrics = proxyMetrics(registry)
  const { swaps, rejections, version: versionGauge } = configMetrics(registry)
  const store = new SnapshotStore<GatewaySnapshot>()
  let version = 0

  const handler = (req: Parameters<GatewaySnapshot['handler']>[0], signal: AbortSignal | undefined) => {
    const snap = store.current
    if (!snap) return Promise.resolve(errorResponse(new Error('not ready')))
    return snap.handler(req, { start: performance.now(), signal })
  }
  const listeners = new ListenerSet(runtime, opts.address, handler, () => store.current?.compiled.ports, log)

  // The files as last tried: a watcher event (or the stat poll) for unchanged contents
  // must not build, count or log a second swap or rejection.
  let lastTried = ''

  /** Load, validate and compile everything; throws ConfigRejected with every issue. Undefined: nothing changed. */
  const build = async (): Promise<GatewaySnapshot | undefined> => {
    const files = await readConfigFiles(opts.configFiles!).catch((err: Error) => { throw new ConfigRejected(err.message) })
    const contents = JSON.stringify(files)
    if (contents === lastTried) return undefined
    lastTried = contents
    // Loaded here, in file mode only: the config schemas (zod) cost a gateway fed by bundles ~7 MB of RSS it never uses.
    const { loadConfig, formatIssues } = await import('../core/config/load.js')
    const loaded = loadConfig(files)
    if (!loaded.ok) throw new ConfigRejected(formatIssues(loaded.issues))
    try {
      return buildGatewaySnapshot(loaded.config as ConfigSet, opts.gatewayRef, version + 1, { upstream, metrics, log })
    } catch (err) {
      throw new ConfigRejected((err as Error).message)
    }
  }

  const activate = async (snap: GatewaySnapshot) => {
    await listeners.reconcile(snap.compiled.ports)
    version = snap.version
    store.swap(snap)
    swaps.inc()
    versionGauge.set(version)
    for (const w of snap.compiled.warnings) log(`warning: ${w}`)
  }

  if (opts.control) return runFromControl(opts, opts.control, { runtime: runtime.name, log, registry, store, listeners, upstream, activate, metrics, rejections, get version() { return version } })
  if (!opts.configFiles?.length) throw new Error('runGateway: give configFiles or control')

  await activate((await build())!)
  log(`serving Gateway ${opts.gatewayRef} on ${runtime.name}, config version ${version}`)

  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        const snap = await build()
        if (!snap) return
        await activate(snap)
        log(`config reloaded: version ${version}`)
      } catch (err) {
        store.reject((err as Error).message)
        rejections.inc()
        log(`${(err as Error).message}\nstill serving version ${version}`)
      }
    })
  }
  const stopWatching = watchFiles(opts.configFiles!, reload)

  const admin = opts.admin
    ? await startAdmin({
        ...parseHostPort(opts.admin, '--admin'),
        ready: () => store.current !== undefined,
        config: () => (store.current ? describeSnapshot(store.current) : { version: 0 }),
        stats: () => ({ version, swaps: store.swaps, rejections: store.rejections, lastError: store.lastError ?? null, upstream: upstream.stats ?? null }),
        metrics: () => registry.render(),
      })
    : undefined
  if (admin) log(`admin on http://${parseHostPort(opts.admin!, '--admin').address}:${admin.port}`)

  return {
    store,
    adminPort: admin?.port,
    reload,
    async close() {
      stopWatching()
      await listeners.close()
      await admin?.close()
      await upstream.close()
    },
  }
}

interface Shared {
  runtime: string
  log: (msg: string) => void
  registry: MetricsRegistry
  store: SnapshotStore<GatewaySnapshot>
  listeners: ListenerSet
  upstream: ProxyUpstream
  activate: (snap: GatewaySnapshot) => Promise<void>
  metrics: ReturnType<typeof proxyMetrics>
  rejections: { inc(n?: number): void }
  readonly version: number
}

/** The gateway fed by signed bundles: the admin server first (so /ready answers 503 until a bundle is active), then the client. */
async function runFromControl(opts: GatewayOptions, control: NonNullable<GatewayOptions['control']>, s: Shared) {
  const [ns, name] = opts.gatewayRef.split('/') as [string, string]
  const scope = gatewayScope(ns, name)
  const { log, store, upstream, metrics } = s
  const client = await controlSource({
    url: control.url,
    token: control.token,
    trustFile: control.trustFile,
    dataDir: control.dataDir,
    scope,
    registry: s.registry,
    log,
    // A rejected bundle also shows in /stats' lastError and weft_config_rejections_total, as a rejected file does.
    onReject: (err: unknown) => {
      store.reject((err as Error).message)
      s.rejections.inc()
    },
    ...(control.instance !== undefined && { instance: control.instance }),
    ...(control.waitSeconds !== undefined && { waitSeconds: control.waitSeconds }),
    activator: {
      build: (config: ConfigSet, version: number) => buildGatewaySnapshot(withGateway(config, ns, name, log), opts.gatewayRef, version, { upstream, metrics, log }),
      commit: (snap: GatewaySnapshot) => s.activate(snap),
    },
  })
  const status = client.status
  const admin = opts.admin
    ? await startAdmin({
        ...parseHostPort(opts.admin, '--admin'),
        ready: () => store.current !== undefined,
        config: () => (store.current ? describeSnapshot(store.current) : { version: 0 }),
        stats: () => ({ version: s.version, swaps: store.swaps, rejections: store.rejections, lastError: store.lastError ?? null, bundle: status.toJSON(), upstream: upstream.stats ?? null }),
        metrics: () => s.registry.render(),
      })
    : undefined
  if (admin) log(`admin on http://${parseHostPort(opts.admin!, '--admin').address}:${admin.port}`)
  log(`serving Gateway ${opts.gatewayRef} on ${s.runtime} from ${control.url} (scope ${scope}${control.dataDir ? `, last-known-good kept in ${control.dataDir}` : ', nothing persisted: no --data'})`)
  await client.start()
  return {
    store,
    adminPort: admin?.port,
    client,
    reload() {},
    async close() {
      await client.stop()
      await s.listeners.close()
      await admin?.close()
      await upstream.close()
    },
  }
}

/**
 * A bundle without this Gateway (nothing applied yet, or it was deleted) is a valid
 * config: the gateway runs it with no listeners, and is ready, until the Gateway appears.
 */
function withGateway(config: ConfigSet, ns: string, name: string, log: (msg: string) => void): ConfigSet {
  if (config.gateways.some((g) => g.metadata.namespace === ns && g.metadata.name === name)) return config
  log(`Gateway ${ns}/${name} is not in the bundle (not applied yet?): no listeners until it is`)
  const empty = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: ns, labels: {} }, spec: { gatewayClassName: 'weft', listeners: [] } }
  return { ...config, gateways: [...config.gateways, empty as ConfigSet['gateways'][number]] }
}
