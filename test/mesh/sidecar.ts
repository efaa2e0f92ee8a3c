/**
 * @module
 * The seam between the mesh conformance cases and the sidecar under test. A
 * `MeshSidecars` is one caller-side sidecar per client of the environment (its
 * namespace is the caller's namespace), each with an outbound listener the "app"
 * sends its calls to. The cases only ever `apply` a config and send to
 * `outbound(client)`, so pointing them at real `weft proxy` processes later means
 * writing another `MeshSidecars`, nothing else.
 *
 * `InProcessSidecars` is today's implementation: the real Node adapter (`listen`,
 * `createNodeUpstream`) around `buildOutboundSnapshot`, one listener per client on
 * 127.0.0.1, the snapshot swapped whole on `apply` like the gateway's store does.
 *
 * @example
 * const sidecars = await InProcessSidecars.start({ mesh: 'gateway-conformance-mesh' })
 * await sidecars.apply(docs)
 * sidecars.outbound('mesh') // { address: '127.0.0.1', port: 40123 }
 */
import { listen, type Listening } from '../../runtime/node/server.js'
import { createNodeUpstream, type NodeUpstream } from '../../runtime/node/upstream.js'
import { formatIssues, loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import { MetricsRegistry } from '../../core/metrics/registry.js'
import { proxyMetrics, type ProxyMetrics } from '../../core/stages/telemetry.js'
import { buildOutboundSnapshot, type OutboundSnapshot } from '../../core/mesh/outbound-snapshot.js'
import type { Resource } from './cases.js'

export interface MeshSidecars {
  /** Put this config (environment and the suite's routes) in force on every caller's sidecar. */
  apply(docs: Resource[]): Promise<void>
  /** Where the app of `client` sends its outbound calls. */
  outbound(client: string): { address: string; port: number }
  close(): Promise<void>
}

export class InProcessSidecars implements MeshSidecars {
  private version = 0
  private constructor(
    private readonly namespaces: Map<string, string>,
    private readonly listeners: Map<string, Listening>,
    private readonly snapshots: Map<string, OutboundSnapshot>,
    private readonly upstream: NodeUpstream,
    private readonly metrics: ProxyMetrics,
    readonly errors: unknown[],
  ) {}

  /** One sidecar per client: `clients` maps a client name to its namespace. */
  static async start(clients: Record<string, string>): Promise<InProcessSidecars> {
    const upstream = createNodeUpstream()
    const registry = new MetricsRegistry()
    const snapshots = new Map<string, OutboundSnapshot>()
    const listeners = new Map<string, Listening>()
    const errors: unknown[] = []
    for (const client of Object.keys(clients)) {
      const l = await listen({
        address: '127.0.0.1',
        port: 0,
        onError: (err) => errors.push(err),
        handler: (req, signal) => {
          const snap = snapshots.get(client)
          if (!snap) return Promise.reject(new Error(`sidecar ${client} has no config yet`))
          return snap.handler(req, { start: performance.now(), signal })
        },
      })
      listeners.set(client, l)
    }
    return new InProcessSidecars(new Map(Object.entries(clients)), listeners, snapshots, upstream, proxyMetrics(registry), errors)
  }

  async apply(docs: Resource[]): Promise<void> {
    const text = docs.map((d) => JSON.stringify(d)).join('\n---\n')
    const loaded = loadConfig([{ name: 'mesh-suite.yaml', text }])
    if (!loaded.ok) throw new Error(`config rejected:\n${formatIssues(loaded.issues)}`)
    const config = loaded.config as ConfigSet
    const metrics = this.metrics
    this.version++
    for (const [client, ns] of this.namespaces) {
      this.snapshots.set(client, buildOutboundSnapshot(config, ns, this.version, { upstream: this.upstream, metrics, log: (m, e) => this.errors.push([m, e]) }))
    }
  }

  outbound(client: string): { address: string; port: number } {
    const l = this.listeners.get(client)
    if (!l) throw new Error(`no sidecar for client ${client}`)
    return { address: '127.0.0.1', port: l.port }
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.close()))
    await this.upstream.close()
  }
}
