/**
 * @module
 * Where a Worker's snapshot comes from: signed bundles from the control plane
 * (bundles.ts, the normal case) or, with `WEFT_CONFIG`, a config given inline (YAML or
 * JSON, unsigned: local runs and tests; as trusted as the deployment that set it).
 * Both answer the same questions, so the entries do not care which one runs.
 *
 * @example
 * const source = snapshotSource(settings.source, { scope, registry, build, log })
 * if (!(await source.ready(ctx))) return notReady()
 */
import { formatIssues, loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import type { MetricsRegistry } from '../../core/metrics/registry.js'
import { WorkerBundles } from './bundles.js'
import { WorkerConfigError, type Source } from './settings.js'
import type { WorkerContext } from './types.js'

export interface SnapshotSource<S> {
  readonly current: S | undefined
  readonly version: number
  /** Resolves with whether a snapshot is active (boots / refreshes as the source needs). */
  ready(ctx: WorkerContext | undefined): Promise<boolean>
  /** Start from what is at hand (KV, WEFT_CONFIG) without asking the control plane: what the admin endpoints see first. */
  boot(): Promise<void>
  /** A Cron Trigger fired. */
  scheduled(): Promise<void>
  toJSON(): unknown
}

export interface SourceOptions<S> {
  scope: string
  registry: MetricsRegistry
  build(config: ConfigSet, version: number): S
  onReject?(err: unknown): void
  log(msg: string): void
}

export function snapshotSource<S>(source: Source, opts: SourceOptions<S>): SnapshotSource<S> {
  if (source.kind === 'control') return new WorkerBundles({ ...opts, source })
  return staticSource(source.text, opts)
}

function staticSource<S>(text: string, opts: SourceOptions<S>): SnapshotSource<S> {
  let current: S | undefined
  const load = () => {
    const loaded = loadConfig([{ name: 'WEFT_CONFIG', text }])
    if (!loaded.ok) throw new WorkerConfigError(`WEFT_CONFIG is rejected, nothing of it applied:\n${formatIssues(loaded.issues)}`)
    current = opts.build(loaded.config as ConfigSet, 1)
  }
  return {
    get current() {
      return current
    },
    get version() {
      return current === undefined ? 0 : 1
    },
    async ready() {
      if (current === undefined) load()
      return true
    },
    async boot() {
      if (current === undefined) load()
    },
    async scheduled() {},
    toJSON: () => ({ version: current === undefined ? 0 : 1, source: 'WEFT_CONFIG' }),
  }
}
