/**
 * `weft gateway --runtime bun`: the real CLI (bin/weft.js, built to dist/) re-executes
 * itself under node_modules/.bin/bun, fed signed bundles by the fake control plane
 * (test/fakes/fake-control.ts). A new bundle is swapped in while a request is in
 * flight, a tampered one refused; the last-known-good bundle is persisted on disk
 * (runtime/node/fs-cache.ts through Bun's node:fs) and a restart with the control
 * plane down serves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import { startFakeControl, type FakeControl } from '../../test/fakes/fake-control.js'
import { freePort } from '../../test/support/gateway-runner.js'
import { kill, servingPid, spawnGroup, untrack } from '../../test/support/processes.js'
import { WEFT } from './probes/bun-process.js'

const scope = 'gateway.default.edge'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let backend: Server
let backendPort: number
let listenPort: number
let cp: FakeControl
let dir: string
let trust: string
let gw: Gw

function config(tag: string): ConfigSet {
  const yaml = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: ${listenPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-config, value: "${tag}" }] }
      backendRefs: [{ name: app, port: 80 }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: app, namespace: default }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 127.0.0.1, port: ${backendPort} }]`
  const loaded = loadConfig([{ name: 'mesh.yaml', text: yaml }])
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues))
  return loaded.config as ConfigSet
}

interface Gw {
  proc: ChildProcess
  output(): string
  admin(path: string): Promise<Response>
  stop(): Promise<void>
}

async function startGw(): Promise<Gw> {
  const adminPort = await freePort()
  const args = [WEFT, 'gateway', '--runtime', 'bun', '--control', cp.url, '--trust', trust, '--token', 'proxy-token', '--data', dir, '--gateway', 'default/edge', '--address', '127.0.0.1', '--admin', `127.0.0.1:${adminPort}`]
  const proc = spawnGroup(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()))
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(2000) })
  const g: Gw = {
    proc,
    output: () => out,
    admin,
    async stop() {
      kill(proc, 'SIGTERM')
      if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) {
        kill(proc, 'SIGKILL')
        await exited
      }
      untrack(proc)
    },
  }
  const until = Date.now() + 20_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited ${proc.exitCode}:\n${out}`)
    if ((await admin('/ready').then((r) => r.status, () => 0)) === 200) return g
    if (Date.now() > until) {
      await g.stop()
      throw new Error(`gateway not ready in 20 s:\n${out}`)
    }
    await sleep(50)
  }
}

async function served(path = '/'): Promise<{ tag: string | null; body: string }> {
  const res = await fetch(`http://127.0.0.1:${listenPort}${path}`, { signal: AbortSignal.timeout(5000) })
  const body = await res.text()
  expect(res.status).toBe(200)
  return { tag: res.headers.get('x-config'), body }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${gw?.output()}`)
    await sleep(20)
  }
}

beforeAll(async () => {
  backend = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 600)
    else res.end('ok')
  })
  await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok))
  backendPort = (backend.address() as { port: number }).port
  listenPort = await freePort()
  dir = await mkdtemp(join(tmpdir(), 'weft-bun-gw-'))
  cp = await startFakeControl({ scope, config: config('v0') })
  trust = join(dir, 'jwks.json')
  await writeFile(trust, JSON.stringify(cp.jwks()))
  gw = await startGw()
}, 40_000)

afterAll(async () => {
  await gw?.stop()
  await cp?.close()
  backend?.close()
})

describe('weft gateway --runtime bun', () => {
  it('serves from a bun process, fed by the control plane', async () => {
    expect(await served()).toEqual({ tag: 'v0', body: 'ok' })
    const cmdline = readFileSync(`/proc/${servingPid(gw.proc.pid!)}/cmdline`, 'utf8')
    expect(cmdline).toMatch(/node_modules\/\.bin\/bun|\/bun\0/)
    expect(gw.output()).toMatch(/serving Gateway default\/edge on bun/)
  })

  it('[cap bun hot-swap] swaps a new bundle in while a request is in flight (it finishes on the old one) and refuses a tampered one', async () => {
    const slow = fetch(`http://127.0.0.1:${listenPort}/slow`, { signal: AbortSignal.timeout(5000) })
    await sleep(150)
    const start = Date.now()
    cp.mode = 'good'
    cp.publish(config('v1'))
    await waitFor('v1 served', async () => (await served()).tag === 'v1')
    expect(Date.now() - start).toBeLessThan(1_500)
    const res = await slow
    expect(await res.text()).toBe('slow')
    expect(res.headers.get('x-config')).toBe('v0')
    cp.mode = 'tampered'
    cp.publish(config('evil'))
    await waitFor('the rejection logged', async () => /bundle rejected \(ERR_BUNDLE_SIGNATURE\)/.test(gw.output()))
    expect((await served()).tag).toBe('v1')
    cp.mode = 'good'
  })

  it('[cap bun persistence] persists the last-known-good bundle on disk and, restarted with the control plane down, serves it', async () => {
    cp.publish(config('v2'))
    await waitFor('v2 served', async () => (await served()).tag === 'v2')
    const file = join(dir, `bundle-${scope}.jws`)
    await waitFor('the persisted bundle', async () => existsSync(file))
    await cp.close()
    await gw.stop()
    gw = await startGw()
    expect((await served()).tag).toBe('v2')
    const stats = (await (await gw.admin('/stats')).json()) as { bundle: { source: string } }
    expect(stats.bundle.source).toBe('cache')
  })
})
