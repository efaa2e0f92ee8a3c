/**
 * `weft gateway --control`: a real gateway process fed by the fake control plane
 * (test/fakes/fake-control.ts). Every kind of bad bundle is refused, counted in
 * /metrics by code and logged while the old config keeps serving; a new version
 * arrives through the long-poll in well under a second; the gateway keeps serving with
 * the control plane stopped, and a restart with it down serves the persisted bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { existsSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import { startFakeControl, type FakeControl, type FakeMode } from '../fakes/fake-control.js'
import { freePort, WEFT_BIN } from '../support/gateway-runner.js'
import { edgeConfig, service } from './gateway-process.js'

const scope = 'gateway.default.edge'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of running) if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGKILL')
})

let backend: Server
let backendPort: number
let listenPort: number
let cp: FakeControl
let dir: string
let trust: string

function config(tag: string): ConfigSet {
  const yaml = edgeConfig(
    listenPort,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-config, value: "${tag}" }] }
      backendRefs: [{ name: app, port: 80 }]`,
    service('app', [{ address: '127.0.0.1', port: backendPort }]),
  )
  const loaded = loadConfig([{ name: 'mesh.yaml', text: yaml }])
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues))
  return loaded.config as ConfigSet
}

interface Gw {
  pid: number
  adminPort: number
  output(): string
  admin(path: string): Promise<Response>
  stop(): Promise<void>
}

async function startGw(controlUrl: string, opts: { expectReady?: boolean } = {}): Promise<Gw> {
  const adminPort = await freePort()
  const args = [WEFT_BIN, 'gateway', '--control', controlUrl, '--trust', trust, '--token', 'proxy-token', '--data', dir, '--gateway', 'default/edge', '--address', '127.0.0.1', '--admin', `127.0.0.1:${adminPort}`]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()))
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(2000) })
  const gw: Gw = {
    pid: proc.pid!,
    adminPort,
    output: () => out,
    admin,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid!, 'SIGTERM')
        const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])
        if (!done) {
          process.kill(proc.pid!, 'SIGKILL')
          await exited
        }
      }
      running.delete(proc)
    },
  }
  if (opts.expectReady === false) return gw
  const until = Date.now() + 15_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited ${proc.exitCode}:\n${out}`)
    const s = await admin('/ready').then((r) => r.status, () => 0)
    if (s === 200) return gw
    if (Date.now() > until) {
      await gw.stop()
      throw new Error(`gateway not ready in 15 s:\n${out}`)
    }
    await sleep(25)
  }
}

async function served(): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${listenPort}/`, { signal: AbortSignal.timeout(2000) })
  await res.text()
  expect(res.status).toBe(200)
  return res.headers.get('x-config')
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${gw.output()}`)
    await sleep(20)
  }
}

async function rejections(code: string): Promise<number> {
  const text = await (await gw.admin('/metrics')).text()
  const m = new RegExp(`^weft_bundle_rejections_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)
  return m ? Number(m[1]) : 0
}

let gw: Gw
let tag = 0
/** Publish a new good version and wait until it serves. */
async function publishGood(): Promise<string> {
  cp.mode = 'good'
  const t = `v${++tag}`
  cp.publish(config(t))
  await waitFor(`x-config ${t}`, async () => (await served()) === t || undefined)
  return t
}

beforeAll(async () => {
  backend = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 600)
    else res.end('ok')
  })
  await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok))
  backendPort = (backend.address() as { port: number }).port
  listenPort = await freePort()
  dir = await mkdtemp(join(tmpdir(), 'weft-bundle-'))
  cp = await startFakeControl({ scope, config: config('v0') })
  trust = join(dir, 'jwks.json')
  await writeFile(trust, JSON.stringify(cp.jwks()))
  gw = await startGw(cp.url)
})

afterAll(async () => {
  await gw?.stop()
  await cp?.close()
  backend?.close()
})

describe('weft gateway --control', () => {
  it('Should serve the verified bundle, persist it, and report its version', async () => {
    expect(await served()).toBe('v0')
    // Persisted right after the activation, so a moment after /ready turns 200.
    await waitFor('the persisted bundle', async () => existsSync(join(dir, `bundle-${scope}.jws`)) || undefined)
    await waitFor('a status report', async () => cp.statuses.find((s) => s.body.version === 1))
    expect(cp.requests[0]!.auth).toBe('Bearer proxy-token')
    const stats = (await (await gw.admin('/stats')).json()) as { bundle: { activeVersion: number; source: string } }
    expect(stats.bundle).toMatchObject({ activeVersion: 1, source: 'control' })
    expect(await (await gw.admin('/metrics')).text()).toMatch(/^weft_bundle_version 1$/m)
  })

  it('Should run a new version in well under a second through the long-poll', async () => {
    await sleep(200) // the gateway is parked in its long-poll
    const start = Date.now()
    const t = await publishGood()
    expect(await served()).toBe(t)
    expect(Date.now() - start).toBeLessThan(800)
  })

  it('Should finish a request in flight on the bundle it started with while new ones use the next', async () => {
    const before = await served()
    const slow = fetch(`http://127.0.0.1:${listenPort}/slow`, { signal: AbortSignal.timeout(5000) })
    await sleep(100)
    const next = await publishGood()
    const res = await slow
    expect(await res.text()).toBe('slow')
    expect(res.headers.get('x-config')).toBe(before)
    expect(await served()).toBe(next)
  })

  const bad: [FakeMode, string][] = [
    ['tampered', 'ERR_BUNDLE_SIGNATURE'],
    ['other-key', 'ERR_BUNDLE_SIGNATURE'],
    ['stripped', 'ERR_BUNDLE_SIGNATURE'],
    ['older', 'ERR_BUNDLE_ROLLBACK'],
    ['expired', 'ERR_BUNDLE_EXPIRED'],
    ['other-scope', 'ERR_BUNDLE_SCOPE'],
    ['oversized', 'ERR_BUNDLE_TOO_LARGE'],
  ]
  it.each(bad)('Should refuse a %s bundle (%s), keep serving the old config, count and log it', async (mode, code) => {
    const before = await rejections(code)
    const good = await served()
    cp.mode = mode
    cp.publish(config(`bad-${mode}`))
    await waitFor(`${code} in /metrics`, async () => (await rejections(code)) > before || undefined)
    expect(await served()).toBe(good)
    expect(gw.output()).toMatch(new RegExp(`bundle rejected \\(${code}\\)`))
    expect((await gw.admin('/ready')).status).toBe(200)
    await waitFor(`a report of ${code}`, async () => cp.statuses.find((s) => s.body.lastErrorCode === code))
    await publishGood()
  })

  it('Should keep serving through 500s from the control plane', async () => {
    const good = await served()
    cp.mode = 'error500'
    cp.publish(config('never'))
    await sleep(500)
    expect(await served()).toBe(good)
    await publishGood()
  })

  it('Should keep serving with the control plane stopped, and restart from the persisted bundle', async () => {
    const good = await publishGood()
    await cp.close()
    await sleep(300)
    expect(await served()).toBe(good)
    expect((await gw.admin('/ready')).status).toBe(200)
    await gw.stop()
    gw = await startGw(cp.url)
    expect(await served()).toBe(good)
    const stats = (await (await gw.admin('/stats')).json()) as { bundle: { source: string } }
    expect(stats.bundle.source).toBe('cache')
  })

  it('Should not be ready with the control plane down and nothing persisted', async () => {
    const before = dir
    dir = await mkdtemp(join(tmpdir(), 'weft-bundle-empty-'))
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(cp.jwks()))
    const cold = await startGw(cp.url, { expectReady: false })
    try {
      // The admin server answers before the first poll; under load the process may take a while to start.
      const first = await waitFor('the admin server', async () => (await cold.admin('/ready')).status, 15_000)
      expect(first).toBe(503)
      await sleep(500)
      expect((await cold.admin('/ready')).status).toBe(503)
      expect(cold.output()).toMatch(/cannot fetch the bundle/)
    } finally {
      await cold.stop()
      dir = before
    }
  })

  it('Should serve an expired persisted bundle at boot only because the control plane is down, and say so', async () => {
    const before = dir
    dir = await mkdtemp(join(tmpdir(), 'weft-bundle-expired-'))
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(cp.jwks()))
    const now = Math.floor(Date.now() / 1000)
    await writeFile(join(dir, `bundle-${scope}.jws`), await cp.sign({ version: 42, issuedAt: now - 7200, expiresAt: now - 3600, config: config('expired') }))
    await gw.stop() // it holds the listener port
    const old = await startGw(cp.url)
    try {
      expect(await served()).toBe('expired')
      const stats = (await (await old.admin('/stats')).json()) as { bundle: { activeVersion: number; source: string; activeExpired: boolean } }
      expect(stats.bundle).toMatchObject({ activeVersion: 42, source: 'cache', activeExpired: true })
      expect(old.output()).toMatch(/EXPIRED: served only because the control plane is unreachable/)
    } finally {
      await old.stop()
      dir = before
    }
  })
})
