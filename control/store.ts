/**
 * @module
 * The control plane's embedded store, one JSON file in `--data DIR` (`state.json`):
 * the current resources as they were applied, the config version, and the version
 * history. Every change is validated as a whole with the gateway's own loader
 * (`loadConfig`) before it is accepted — one error anywhere and nothing is applied —
 * then written atomically (temp file, fsync, rename), so a crash mid-write leaves the
 * previous state. The version starts at 1 (an empty config) and only goes up, across
 * restarts too, since it is written with the state it numbers.
 *
 * @example
 * const store = Store.open('/var/lib/weft')
 * const r = store.apply([{ name: 'mesh.yaml', text }])
 * if (r.ok) r.version
 * else r.errors // [{ file: 'mesh.yaml', document: 1, resource: 'HTTPRoute default/web', path, message }]
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { emptyConfigSet, loadConfig } from '../core/config/load.js'
import type { ConfigIssue, ConfigSet } from '../core/config/types.js'
import { writeFileAtomic } from './fs-atomic.js'
import { diff, isEmptyDiff, rawResources, type Diff, type RawResource } from './resources.js'

export interface VersionEntry extends Diff {
  version: number
  /** RFC 3339. */
  at: string
  action: 'init' | 'apply' | 'delete' | 'register' | 'deregister' | 'expire'
}

/** A sidecar instance registered under a lease: an endpoint of its Service in every bundle while the lease runs. */
export interface Instance {
  /** `sidecar.NS.SVC`. */
  scope: string
  instance: string
  /** Where peers' sidecars reach it (its inbound listener). */
  address: string
  port: number
  labels: Record<string, string>
  leaseSeconds: number
}

/** The label every registered endpoint carries (its value: the instance id), to tell it from a static one. */
export const REGISTERED_LABEL = 'weft.dev/instance'

export type ConfigError = ConfigIssue

export type ChangeResult =
  | { ok: true; version: number; changed: boolean; diff: Diff; dryRun: boolean }
  | { ok: false; status: 400 | 404; errors: ConfigError[] }

interface StateFile {
  format: 1
  version: number
  resources: Record<string, unknown>[]
  history: VersionEntry[]
  instances?: Instance[]
}

/** History entries kept; older ones are dropped (the version number itself never goes back). */
export const HISTORY_LIMIT = 1000
const STATE_FILE = 'state.json'

export class Store {
  #version: number
  #resources: Map<string, RawResource>
  #config: ConfigSet
  #history: VersionEntry[]
  /** Registered instances, by `scope instance`, with when their lease ends (ms since the epoch). */
  #instances = new Map<string, Instance & { expires: number }>()
  #effective: ConfigSet | undefined
  readonly #file: string
  readonly #listeners = new Set<(version: number) => void>()

  private constructor(file: string, state: StateFile) {
    this.#file = file
    this.#version = state.version
    this.#history = state.history
    this.#resources = toMap(rawResources([{ name: STATE_FILE, text: JSON.stringify(state.resources) }]).resources)
    const v = validate(this.#resources)
    if (!v.ok) throw new Error(`${file} holds a config that no longer validates:\n${v.errors.map((e) => `  ${e.resource ?? ''} ${e.path ?? ''}: ${e.message}`).join('\n')}`)
    this.#config = v.config
    // Leases restart on load: an instance gets one full lease to renew with the restarted control plane.
    for (const i of state.instances ?? []) this.#instances.set(instanceKey(i.scope, i.instance), { ...i, expires: Date.now() + i.leaseSeconds * 1000 })
  }

  /** Load `DIR/state.json`, or start a new store at version 1 with an empty config. */
  static open(dir: string): Store {
    const file = join(dir, STATE_FILE)
    // A temp file left by a crash mid-write: the rename never happened, so state.json is the state.
    for (const f of readdirSync(dir)) if (f.startsWith(`${STATE_FILE}.tmp-`)) rmSync(join(dir, f), { force: true })
    if (existsSync(file)) {
      let state: StateFile
      try {
        state = JSON.parse(readFileSync(file, 'utf8')) as StateFile
      } catch (err) {
        throw new Error(`cannot read the control plane state ${file}: ${(err as Error).message}`)
      }
      if (state.format !== 1 || !Number.isInteger(state.version) || !Array.isArray(state.resources))
        throw new Error(`${file} is not a Weft control plane state file (format 1)`)
      return new Store(file, state)
    }
    const state: StateFile = {
      format: 1,
      version: 1,
      resources: [],
      history: [{ version: 1, at: new Date().toISOString(), action: 'init', added: [], changed: [], removed: [] }],
    }
    writeFileAtomic(file, JSON.stringify(state))
    return new Store(file, state)
  }

  get version(): number {
    return this.#version
  }

  /** The current config, normalized by the loader, with registered instances among their Services' endpoints (what bundles are compiled from). */
  get config(): ConfigSet {
    this.#effective ??= withInstances(this.#config, [...this.#instances.values()])
    return this.#effective
  }

  instances(): (Instance & { expiresAt: string })[] {
    return [...this.#instances.values()].map(({ expires, ...i }) => ({ ...i, expiresAt: new Date(expires).toISOString() }))
  }

  /** Register or renew an instance; the version bumps only when it is new or its address, port or labels changed. */
  register(i: Instance, now = Date.now()): { version: number; changed: boolean } {
    const key = instanceKey(i.scope, i.instance)
    const old = this.#instances.get(key)
    const entry = { ...i, expires: now + i.leaseSeconds * 1000 }
    this.#instances.set(key, entry)
    const same = old && old.address === i.address && old.port === i.port && canonicalLabels(old.labels) === canonicalLabels(i.labels) && old.leaseSeconds === i.leaseSeconds
    if (same) return { version: this.#version, changed: false }
    const label = `Instance ${i.scope}/${i.instance}`
    this.#write('register', old ? { added: [], changed: [label], removed: [] } : { added: [label], changed: [], removed: [] })
    return { version: this.#version, changed: true }
  }

  /** Drop an instance now (it stopped); false when it was not registered. */
  deregister(scope: string, instance: string): boolean {
    if (!this.#instances.delete(instanceKey(scope, instance))) return false
    this.#write('deregister', { added: [], changed: [], removed: [`Instance ${scope}/${instance}`] })
    return true
  }

  /** Drop every instance whose lease has lapsed; one version for all of them. */
  expire(now = Date.now()): string[] {
    const gone: string[] = []
    for (const [k, i] of this.#instances) if (i.expires <= now) {
      this.#instances.delete(k)
      gone.push(`Instance ${i.scope}/${i.instance}`)
    }
    if (gone.length > 0) this.#write('expire', { added: [], changed: [], removed: gone })
    return gone
  }

  resources(): Record<string, unknown>[] {
    return [...this.#resources.values()].map((r) => r.raw)
  }

  history(): VersionEntry[] {
    return this.#history
  }

  /** Called with the new version after every accepted change. */
  onChange(listener: (version: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Upsert every resource of `files` (kind, namespace and name identify one). */
  apply(files: { name: string; text: string }[], opts: { dryRun?: boolean } = {}): ChangeResult {
    const own = loadConfig(files)
    if (!own.ok) return { ok: false, status: 400, errors: own.issues }
    const next = new Map(this.#resources)
    for (const r of rawResources(files).resources) next.set(r.key, r)
    return this.#commit('apply', next, opts.dryRun ?? false)
  }

  /** Remove resources by identity; 404 (nothing removed) when any of them does not exist. */
  delete(ids: { kind: string; namespace?: string; name: string }[], opts: { dryRun?: boolean } = {}): ChangeResult {
    const next = new Map(this.#resources)
    const errors: ConfigError[] = []
    for (const id of ids) {
      const key = id.kind === 'Namespace' ? `Namespace ${id.name}` : `${id.kind} ${id.namespace ?? 'default'}/${id.name}`
      if (!next.delete(key)) errors.push({ file: 'request', resource: key, message: `${key} does not exist; nothing was deleted` })
    }
    if (errors.length > 0) return { ok: false, status: 404, errors }
    return this.#commit('delete', next, opts.dryRun ?? false)
  }

  #commit(action: 'apply' | 'delete', next: Map<string, RawResource>, dryRun: boolean): ChangeResult {
    const v = validate(next)
    if (!v.ok) return { ok: false, status: 400, errors: v.errors }
    const d = diff(this.#resources, next)
    const changed = !isEmptyDiff(d)
    if (dryRun || !changed) return { ok: true, version: this.#version, changed, diff: d, dryRun }
    this.#write(action, d, next, v.config)
    return { ok: true, version: this.#version, changed, diff: d, dryRun }
  }

  /** Persist the next version (state file first, then memory) and tell the listeners. */
  #write(action: VersionEntry['action'], d: Diff, resources = this.#resources, config = this.#config): void {
    const version = this.#version + 1
    const history = [...this.#history, { version, at: new Date().toISOString(), action, ...d }].slice(-HISTORY_LIMIT)
    const instances = [...this.#instances.values()].map(({ expires: _e, ...i }) => i)
    const state: StateFile = { format: 1, version, resources: [...resources.values()].map((r) => r.raw), history, instances }
    writeFileAtomic(this.#file, JSON.stringify(state))
    this.#version = version
    this.#resources = resources
    this.#config = config
    this.#history = history
    this.#effective = undefined
    for (const l of this.#listeners) l(version)
  }
}

function toMap(list: RawResource[]): Map<string, RawResource> {
  return new Map(list.map((r) => [r.key, r]))
}

/** The whole resulting config, through the loader; issues name the resource they are about. */
function validate(resources: Map<string, RawResource>): { ok: true; config: ConfigSet } | { ok: false; errors: ConfigError[] } {
  if (resources.size === 0) return { ok: true, config: emptyConfigSet() }
  const list = [...resources.values()]
  const r = loadConfig([{ name: 'config.json', text: JSON.stringify(list.map((x) => x.raw)) }])
  if (r.ok) return { ok: true, config: r.config }
  return {
    ok: false,
    errors: r.issues.map((i) => {
      // The merged list is internal: drop its index from the path; the resource names what is wrong.
      const { line: _line, document: _doc, path, ...rest } = i
      const inner = path?.replace(/^\[\d+\]\.?/, '')
      return { ...rest, ...(inner && { path: inner }), file: '(resulting config)' }
    }),
  }
}

function instanceKey(scope: string, instance: string): string {
  return `${scope} ${instance}`
}

function canonicalLabels(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** `config` with each registered instance appended to its Service's endpoints (labelled REGISTERED_LABEL). */
function withInstances(config: ConfigSet, instances: Instance[]): ConfigSet {
  if (instances.length === 0) return config
  const byService = new Map<string, Instance[]>()
  for (const i of instances) {
    const [, ns, svc] = i.scope.split('.')
    const k = `${ns}/${svc}`
    byService.set(k, [...(byService.get(k) ?? []), i])
  }
  const services = config.services.map((s) => {
    const mine = byService.get(`${s.metadata.namespace}/${s.metadata.name}`)
    if (!mine) return s
    const registered = mine
      .sort((a, b) => (a.instance < b.instance ? -1 : 1))
      .map((i) => ({ address: i.address, port: i.port, labels: { ...i.labels, [REGISTERED_LABEL]: i.instance } }))
    return { ...s, spec: { ...s.spec, endpoints: [...s.spec.endpoints, ...registered] } }
  })
  return { ...config, services }
}
