/**
 * @module
 * `weft gateway --config FILE --gateway NS/NAME` on Node: load and compile the config,
 * bind each listener, serve the admin endpoints, and swap in a new snapshot whenever a
 * file changes. A config that fails to load or compile is rejected whole (every issue
 * logged and counted) and the previous snapshot keeps serving.
 *
 * @example
 * const gw = await runGateway({ configFiles: ['mesh.yaml'], gatewayRef: 'default/edge', address: '0.0.0.0', admin: '127.0.0.1:15000' })
 * await gw.close()
 */
import { loadConfig, formatIssues } from '../core/config/load.js'
import type { ConfigSet } from '../core/config/types.js'
import { MetricsRegistry } from '../core/metrics/registry.js'
import { buildGatewaySnapshot, describeSnapshot, type GatewaySnapshot } from '../core/snapshot/gateway-snapshot.js'
import { SnapshotStore } from '../core/snapshot/store.js'
import { proxyMetrics } from '../core/stages/telemetry.js'
import { createNodeUpstream } from '../runtime/node/upstream.js'
import { startAdmin } from '../runtime/node/admin.js'
import { readConfigFiles, watchFiles } from './file-source.js'
import { ListenerSet } from './listeners.js'
import { errorResponse } from '../core/stages/rescue.js'
import { parseHostPort } from '../cli/host-port.js'

export interface GatewayOptions {
  configFiles: string[]
  gatewayRef: string
  address: string
  admin?: string
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
  const upstream = createNodeUpstream()
  const registry = new MetricsRegistry()
  const metrics = proxyMetrics(registry)
  const swaps = registry.counter('weft_config_swaps_total', 'Config snapshots activated.', [])
  const rejections = registry.counter('weft_config_rejections_total', 'Config changes rejected (the previous config kept serving).', [])
  const versionGauge = registry.gauge('weft_config_version', 'Version of the active config snapshot.', [])
  const store = new SnapshotStore<GatewaySnapshot>()
  let version = 0

  const handler = (req: Parameters<GatewaySnapshot['handler']>[0], signal: AbortSignal | undefined) => {
    const snap = store.current
    if (!snap) return Promise.resolve(errorResponse(new Error('not ready')))
    return snap.handler(req, { start: performance.now(), signal })
  }
  const listeners = new ListenerSet(opts.address, handler, () => store.current?.compiled.ports, log)

  // The files as last tried: a watcher event (or the stat poll) for unchanged contents
  // must not build, count or log a second swap or rejection.
  let lastTried = ''

  /** Load, validate and compile everything; throws ConfigRejected with every issue. Undefined: nothing changed. */
  const build = async (): Promise<GatewaySnapshot | undefined> => {
    const files = await readConfigFiles(opts.configFiles).catch((err: Error) => { throw new ConfigRejected(err.message) })
    const contents = JSON.stringify(files)
    if (contents === lastTried) return undefined
    lastTried = contents
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
    swaps.labels().inc()
    versionGauge.labels().set(version)
    for (const w of snap.compiled.warnings) log(`warning: ${w}`)
  }

  await activate((await build())!)
  log(`serving Gateway ${opts.gatewayRef}, config version ${version}`)

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
        rejections.labels().inc()
        log(`${(err as Error).message}\nstill serving version ${version}`)
      }
    })
  }
  const stopWatching = watchFiles(opts.configFiles, reload)

  const admin = opts.admin
    ? await startAdmin({
        ...parseHostPort(opts.admin, '--admin'),
        ready: () => store.current !== undefined,
        config: () => (store.current ? describeSnapshot(store.current) : { version: 0 }),
        stats: () => ({ version, swaps: store.swaps, rejections: store.rejections, lastError: store.lastError ?? null, upstream: (upstream as { stats?: unknown }).stats ?? null }),
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
