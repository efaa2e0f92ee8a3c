/**
 * @module
 * The proxies under test of the cross-runtime black-box suite, one interface for all:
 * a gateway (`weft gateway --control …`) or a sidecar (`weft proxy …`) started as a
 * real process under node, bun or deno (`--runtime`), or under workerd through
 * Miniflare (test/support/workerd-target.ts, the Workers adapter's harness).
 *
 * Node/Bun/Deno targets lead their own process group (test/support/processes.ts), keep
 * their last-known-good bundle in a data dir (`--data`) and can be restarted on the
 * same ports; a workerd target keeps it in KV persisted to a directory. `servingPid` is the process that actually serves (the re-executed
 * bun/deno child, not the Node parent), for memory readings from /proc.
 *
 * @example
 * const t = await startTarget({ runtime: 'bun', role: 'gateway', controlUrl, trustFile, token, gateway: 'default/edge' })
 * await fetch(t.url + '/x', { headers: { host: 'app.example' } })
 * await t.restart()   // same ports and data dir
 * await t.stop()
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, WEFT_BIN } from './gateway-runner.js'
import { kill, servingPid, spawnGroup, untrack } from './processes.js'

export type TargetRuntime = 'node' | 'bun' | 'deno' | 'workerd'
export type Role = 'gateway' | 'sidecar'

export interface TargetOptions {
  runtime: TargetRuntime
  role: Role
  controlUrl: string
  /** The control plane's JWKS file (weft control writes DIR/jwks.json). */
  trustFile: string
  token: string
  /** gateway: NAMESPACE/NAME of the Gateway served. */
  gateway?: string
  /** gateway: the port of its HTTP listener (from the Gateway resource). */
  listenPort?: number
  /** sidecar: its service, namespace and local app URL. */
  service?: string
  namespace?: string
  app?: string
}

export interface Target {
  runtime: TargetRuntime
  role: Role
  /** Where requests go: the gateway's listener, or the sidecar's outbound listener. */
  url: string
  port: number
  /** The PID of the process that serves, when there is one to read from /proc. */
  pid(): number | undefined
  /** The version of the active bundle (0 before one). */
  version(): Promise<number>
  /** Bundles refused so far, when the target reports it (node/bun/deno admin /stats). */
  rejections(): Promise<number | undefined>
  output(): string
  /**
   * Stop and start again from what it kept: node/bun/deno on the same ports with the
   * same data dir (SIGTERM, drain); workerd on the same KV directory (a new port: read `url` again).
   */
  restart(): Promise<void>
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startTarget(opts: TargetOptions): Promise<Target> {
  return opts.runtime === 'workerd' ? startWorkerd(opts) : startProcess(opts)
}

/** `weft gateway|proxy --runtime R` as a real process, ready once admin /ready answers 200. */
async function startProcess(opts: TargetOptions): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), `weft-${opts.runtime}-${opts.role}-`))
  const admin = await freePort()
  const common = ['--control', opts.controlUrl, '--trust', opts.trustFile, '--token', opts.token, '--data', dataDir, '--admin', `127.0.0.1:${admin}`, '--runtime', opts.runtime]
  let args: string[]
  let port: number
  if (opts.role === 'gateway') {
    if (!opts.gateway || !opts.listenPort) throw new Error('a gateway target needs gateway and listenPort')
    port = opts.listenPort
    args = [WEFT_BIN, 'gateway', '--gateway', opts.gateway, '--address', '127.0.0.1', ...common]
  } else {
    if (!opts.service || !opts.app) throw new Error('a sidecar target needs service and app')
    port = await freePort()
    const inbound = await freePort()
    args = [WEFT_BIN, 'proxy', '--service', opts.service, '--namespace', opts.namespace ?? 'default', '--app', opts.app, '--inbound', `127.0.0.1:${inbound}`, '--outbound', `127.0.0.1:${port}`, '--lease', '60', '--drain-grace', '0', ...common]
  }
  const command = `node ${args.join(' ')}`
  let out = ''
  let proc: ChildProcess
  let exited: Promise<void>
  let served: number | undefined

  const adminGet = (path: string) => fetch(`http://127.0.0.1:${admin}${path}`, { signal: AbortSignal.timeout(3000) })
  const stats = async () => (await (await adminGet('/stats')).json()) as { version: number; rejections: number }

  const launch = async () => {
    proc = spawnGroup(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_TOKEN: '', WEFT_CONTROL_URL: '' } })
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
    const p = proc
    exited = new Promise<void>((ok) => p.once('exit', () => ok()))
    served = undefined
    const deadline = Date.now() + 30_000
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) {
        kill(p, 'SIGKILL')
        untrack(p)
        throw new Error(`${opts.runtime} ${opts.role} exited (${p.exitCode ?? p.signalCode}) before it was ready.\ncommand: ${command}\noutput:\n${out.slice(-4000)}`)
      }
      const status = await adminGet('/ready').then((r) => (r.body?.cancel(), r.status), () => 0)
      if (status === 200) break
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`${opts.runtime} ${opts.role} not ready within 30 s (admin /ready: ${status || 'no answer'}).\ncommand: ${command}\noutput:\n${out.slice(-4000)}`)
      }
      await sleep(50)
    }
  }

  const stop = async () => {
    const p = proc
    if (p.exitCode === null && p.signalCode === null) {
      kill(p, 'SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
      if (!done) kill(p, 'SIGKILL')
      await exited
    }
    kill(p, 'SIGKILL') // anything left of the group
    untrack(p)
  }

  await launch()
  return {
    runtime: opts.runtime,
    role: opts.role,
    url: `http://127.0.0.1:${port}`,
    port,
    pid: () => (served ??= servingPid(proc.pid!)),
    version: async () => (await stats()).version,
    rejections: async () => (await stats()).rejections,
    output: () => out,
    async restart() {
      await stop()
      await launch()
    },
    stop,
  }
}

/**
 * A gateway or worker-proxy Worker under Miniflare (test/support/workerd-target.ts, the
 * Workers adapter's harness), its KV kept in a directory so a restart starts from it.
 */
async function startWorkerd(opts: TargetOptions): Promise<Target> {
  const { startWorkerdTarget } = await import('./workerd-target.js')
  const kvPersist = mkdtempSync(join(tmpdir(), `weft-workerd-${opts.role}-kv-`))
  const start = async () => {
    const w = await startWorkerdTarget({
      role: opts.role,
      controlUrl: opts.controlUrl,
      trustJwks: readFileSync(opts.trustFile, 'utf8'),
      token: opts.token,
      kvPersist,
      ...(opts.gateway && { gateway: opts.gateway }),
      ...(opts.service && { service: opts.service }),
      ...(opts.namespace && { namespace: opts.namespace }),
      ...(opts.app && { app: opts.app }),
    })
    try {
      await w.ready()
    } catch (err) {
      await w.stop()
      throw err
    }
    return w
  }
  let w = await start()
  return {
    runtime: 'workerd',
    role: opts.role,
    // A restarted Miniflare listens on another port.
    get url() {
      return w.url
    },
    get port() {
      return Number(new URL(w.url).port)
    },
    pid: () => w.pid,
    version: () => w.version(),
    rejections: async () => undefined,
    output: () => w.output(),
    async restart() {
      await w.stop()
      w = await start()
    },
    stop: () => w.stop(),
  }
}
