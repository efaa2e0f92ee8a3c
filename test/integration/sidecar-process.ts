/**
 * @module
 * Real `weft proxy` processes and echo apps for the sidecar integration tests: each
 * sidecar is `node bin/weft.js proxy …` on free 127.0.0.1 ports, ready once its admin
 * `/ready` answers 200, stopped by PID.
 *
 * @example
 * const app = await startEchoApp('api')
 * const sc = await startSidecar({ service: 'api', app: app.url, control, token, lease: 3 })
 * await sc.stop('SIGTERM')
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { freePort, TEST_RUNTIME, WEFT_BIN } from '../support/gateway-runner.js'
import type { ControlProcess } from './control-process.js'
import { kill, spawnGroup, untrack } from '../support/processes.js'


export interface EchoApp {
  name: string
  url: string
  port: number
  close(): Promise<void>
}

/** An app answering every request with JSON `{app, method, url, headers}`. */
export async function startEchoApp(name: string): Promise<EchoApp> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const delay = Number(req.headers['x-delay-ms'] ?? 0)
      setTimeout(() => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ app: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }))
      }, delay)
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}

export interface SidecarProcess {
  pid: number
  service: string
  inbound: number
  outbound: number
  admin: number
  instance: string
  output(): string
  exited: Promise<{ code: number | null; signal: string | null }>
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: string | null }>
}

/**
 * Start `weft proxy` for one service instance. `runtime` (default `WEFT_TEST_RUNTIME`,
 * else node) is passed as `--runtime`; the process leads its own process group so a
 * SIGKILL also ends a re-executed bun/deno child.
 */
export async function startSidecar(opts: { service: string; namespace?: string; app: string; control: ControlProcess; token: string; lease?: number; instance?: string; extra?: string[]; runtime?: string }): Promise<SidecarProcess> {
  const [inbound, outbound, admin] = [await freePort(), await freePort(), await freePort()]
  const instance = opts.instance ?? `${opts.service}-${inbound}`
  const args = [
    WEFT_BIN, 'proxy',
    '--service', opts.service,
    '--namespace', opts.namespace ?? 'default',
    '--app', opts.app,
    '--control', opts.control.url,
    '--trust', join(opts.control.dir, 'jwks.json'),
    '--token', opts.token,
    '--inbound', `127.0.0.1:${inbound}`,
    '--outbound', `127.0.0.1:${outbound}`,
    '--admin', `127.0.0.1:${admin}`,
    '--instance', instance,
    '--lease', String(opts.lease ?? 15),
    '--runtime', opts.runtime ?? TEST_RUNTIME,
    ...(opts.extra ?? []),
  ]
  const child = spawnGroup(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_TOKEN: '', WEFT_CONTROL_URL: '' } })
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      kill(child, 'SIGKILL') // whatever is left of its group (a re-executed child of a crashed parent)
      untrack(child)
      resolve({ code, signal })
    }),
  )
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + 15_000
  for (;;) {
    if (gone) throw new Error(`weft proxy ${opts.service} exited at start:\n${out}`)
    if (Date.now() > deadline) {
      kill(child, 'SIGKILL')
      throw new Error(`weft proxy ${opts.service} not ready within 15 s:\n${out}`)
    }
    const ok = await fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.status === 200, () => false)
    if (ok) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    pid: child.pid!,
    service: opts.service,
    inbound,
    outbound,
    admin,
    instance,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) kill(child, signal)
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && kill(child, 'SIGKILL'), 15_000)
      const r = await exited
      clearTimeout(timer)
      return r
    },
  }
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP/1.1 request to 127.0.0.1:port with `path` as the request-target as given (origin- or absolute-form). */
export function send(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Retry `fn` until it returns true, or throw after `ms`. */
export async function eventually(fn: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = Date.now()
  for (;;) {
    if (await fn().catch(() => false)) return Date.now() - start
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type Resource = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }

/**
 * The mesh conformance seam (test/mesh/sidecar.ts `MeshSidecars`) with real processes:
 * a `weft control` in a temporary directory and one `weft proxy` per client (scope
 * `sidecar.NS.CLIENT`). `apply` deletes the previous suite's non-environment resources,
 * applies the new set through the Control API and waits until every sidecar runs it.
 */
export class ProcessSidecars {
  private applied: Resource[] = []
  private constructor(
    private readonly control: ControlProcess,
    private readonly dir: string,
    private readonly sidecars: Map<string, SidecarProcess>,
    private readonly app: EchoApp,
  ) {}

  static async start(clients: Record<string, string>): Promise<ProcessSidecars> {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { startControlProcess } = await import('./control-process.js')
    const dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-mesh-'))
    const control = await startControlProcess(join(dir, 'control'))
    // The sidecars' own inbound app is never called by the cases.
    const app = await startEchoApp('unused')
    const sidecars = new Map<string, SidecarProcess>()
    try {
      await Promise.all(
        Object.entries(clients).map(async ([client, namespace]) => {
          const r = await control.api('POST', '/v1/tokens', { service: client, namespace })
          const { token } = (await r.json()) as { token: string }
          sidecars.set(client, await startSidecar({ service: client, namespace, app: app.url, control, token, lease: 60 }))
        }),
      )
    } catch (err) {
      for (const s of sidecars.values()) await s.stop('SIGKILL')
      await control.stop('SIGKILL')
      await app.close()
      throw err
    }
    return new ProcessSidecars(control, dir, sidecars, app)
  }

  async apply(docs: Resource[]): Promise<void> {
    const isEnv = (d: Resource) => d.kind === 'Namespace' || d.kind === 'Service'
    const keyOf = (d: Resource) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`
    const next = new Set(docs.map(keyOf))
    const stale = this.applied.filter((d) => !isEnv(d) && !next.has(keyOf(d)))
    if (stale.length) {
      const r = await this.control.api('DELETE', '/v1/config', { resources: stale.map((d) => ({ kind: d.kind, namespace: d.metadata.namespace, name: d.metadata.name })) })
      if (r.status !== 200) throw new Error(`delete of the previous suite's routes: ${r.status} ${await r.text()}`)
    }
    const r = await this.control.api('POST', '/v1/config', { resources: docs })
    const text = await r.text()
    if (r.status !== 200) throw new Error(`config rejected: ${r.status} ${text}`)
    const version = (JSON.parse(text) as { version: number }).version
    this.applied = docs
    for (const [client, sc] of this.sidecars)
      await eventually(async () => ((await (await fetch(`http://127.0.0.1:${sc.admin}/stats`)).json()) as { version: number }).version >= version, 10_000, `sidecar ${client} at version ${version}`)
  }

  outbound(client: string): { address: string; port: number } {
    const sc = this.sidecars.get(client)
    if (!sc) throw new Error(`no sidecar for client ${client}`)
    return { address: '127.0.0.1', port: sc.outbound }
  }

  async close(): Promise<void> {
    const { rmSync } = await import('node:fs')
    await Promise.all([...this.sidecars.values()].map((s) => s.stop('SIGTERM')))
    await this.control.stop()
    await this.app.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
