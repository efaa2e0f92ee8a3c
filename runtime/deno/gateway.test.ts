/**
 * `weft gateway --runtime deno` as a real process (node bin/weft.js re-executing itself
 * under node_modules/.bin/deno):
 * - persistence: fed by a real `weft control`, it keeps the verified bundle on disk
 *   (runtime/node/fs-cache.ts through Deno's node:fs); restarted with the control
 *   plane down, it serves that bundle;
 * - hot swap: a config change is swapped in while a request is in flight, which
 *   finishes on the config it started with; later requests see the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readlinkSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startControlProcess, service, type ControlProcess } from '../../test/integration/control-process.js'
import { freePort, WEFT_BIN } from '../../test/support/gateway-runner.js'
import { kill, servingPid, spawnGroup, untrack } from '../../test/support/processes.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Gw {
  proc: ChildProcess
  adminPort: number
  output(): string
  stop(): Promise<void>
}

/** `weft gateway ARGS --runtime deno`, ready when its admin /ready answers 200. */
async function startGateway(args: string[], env: Record<string, string> = {}): Promise<Gw> {
  const adminPort = await freePort()
  const proc = spawnGroup(process.execPath, [WEFT_BIN, 'gateway', ...args, '--address', '127.0.0.1', '--admin', `127.0.0.1:${adminPort}`, '--runtime', 'deno'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()))
  const stop = async () => {
    kill(proc, 'SIGTERM')
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
    if (!done) {
      kill(proc, 'SIGKILL')
      await exited
    }
    untrack(proc)
  }
  const until = Date.now() + 20_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`weft gateway --runtime deno exited at start:\n${out}`)
    const ok = await fetch(`http://127.0.0.1:${adminPort}/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => (r.body?.cancel(), r.status === 200), () => false)
    if (ok) break
    if (Date.now() > until) {
      await stop()
      throw new Error(`weft gateway --runtime deno not ready in 20 s:\n${out}`)
    }
    await sleep(50)
  }
  return { proc, adminPort, output: () => out, stop }
}

/** The executable of the process that serves (the re-executed child). */
function servingExe(gw: Gw): string {
  return readlinkSync(`/proc/${servingPid(gw.proc.pid!)}/exe`)
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let route: Handler = (_req, res) => res.end('origin\n')
let origin: Server
let originPort: number
let dir: string

beforeAll(async () => {
  origin = createServer((req, res) => route(req, res))
  await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
  originPort = (origin.address() as { port: number }).port
  dir = await mkdtemp(join(tmpdir(), 'weft-deno-gw-'))
})

afterAll(async () => {
  origin?.closeAllConnections()
  await new Promise((ok) => origin?.close(ok))
  if (dir) await rm(dir, { recursive: true, force: true })
})

const edge = (port: number, tag: string) => [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'default' },
    spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'edge' }],
      rules: [{ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-config', value: tag }] } }], backendRefs: [{ name: 'origin', port: 80 }] }],
    },
  },
  service('origin', 'default', originPort),
]

async function xConfig(port: number, path = '/'): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) })
  await res.text()
  return res.status === 200 ? res.headers.get('x-config') : `status ${res.status}`
}

describe('weft gateway --runtime deno', () => {
  it('[cap deno persistence] restarted with the control plane down, serves the bundle it persisted', async () => {
    const listenPort = await freePort()
    const control: ControlProcess = await startControlProcess(join(dir, 'control'))
    let gw: Gw | undefined
    try {
      const { token } = (await (await control.api('POST', '/v1/tokens', { gateway: 'default/edge' })).json()) as { token: string }
      expect((await control.api('POST', '/v1/config', { resources: edge(listenPort, 'persisted') })).status).toBe(200)
      const args = ['--control', control.url, '--trust', join(dir, 'control', 'jwks.json'), '--data', join(dir, 'gw'), '--gateway', 'default/edge']
      gw = await startGateway(args, { WEFT_TOKEN: token })
      expect(servingExe(gw)).toMatch(/deno$/)
      const until = Date.now() + 10_000
      while ((await xConfig(listenPort).catch(() => null)) !== 'persisted' && Date.now() < until) await sleep(50)
      expect(await xConfig(listenPort)).toBe('persisted')
      // Saved just after activation.
      while (!(existsSync(join(dir, 'gw')) && readdirSync(join(dir, 'gw')).some((f) => f.endsWith('.jws'))) && Date.now() < until) await sleep(20)
      expect(readdirSync(join(dir, 'gw')).filter((f) => f.endsWith('.jws'))).toHaveLength(1)
      await gw.stop()
      gw = undefined
      await control.stop()

      gw = await startGateway(args, { WEFT_TOKEN: token })
      expect(servingExe(gw)).toMatch(/deno$/)
      expect(await xConfig(listenPort)).toBe('persisted')
    } finally {
      await gw?.stop()
      await control.stop()
    }
  }, 60_000)

  it('[cap deno hot-swap] swaps a changed config in; a request in flight finishes on the old one, later ones see the new', async () => {
    const listenPort = await freePort()
    const configFile = join(dir, 'mesh.json')
    await writeFile(configFile, JSON.stringify(edge(listenPort, 'v1')))
    const gw = await startGateway(['--config', configFile, '--gateway', 'default/edge'])
    try {
      expect(servingExe(gw)).toMatch(/deno$/)
      expect(await xConfig(listenPort)).toBe('v1')
      let release!: () => void
      route = (req, res) => {
        if (req.url === '/slow') release = () => res.end('slow\n')
        else res.end('origin\n')
      }
      const inFlight = xConfig(listenPort, '/slow')
      for (let i = 0; i < 200 && release === undefined; i++) await sleep(10)
      expect(release).toBeDefined()
      await writeFile(configFile, JSON.stringify(edge(listenPort, 'v2')))
      const until = Date.now() + 10_000
      let seen: string | null = null
      while ((seen = await xConfig(listenPort)) !== 'v2' && Date.now() < until) await sleep(20)
      expect(seen).toBe('v2')
      release()
      expect(await inFlight).toBe('v1')
    } finally {
      await gw.stop()
    }
  }, 60_000)
})
