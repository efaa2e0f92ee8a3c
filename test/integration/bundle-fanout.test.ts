/**
 * 100 bundle clients long-polling the real `weft control`: time from an apply to every
 * one of them running the new version (p50/p99 printed), well under a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { memoryCache } from '../../core/bundle/cache.js'
import { bundleClient, type BundleClient } from '../../core/bundle/client.js'
import { BundleStatus } from '../../core/bundle/status.js'
import { bundleVerifier } from '../../core/bundle/verify.js'
import { sidecarScope } from '../../core/bundle/format.js'
import { MetricsRegistry } from '../../core/metrics/registry.js'
import { startControlProcess, service, type ControlProcess } from './control-process.js'

const N = 100
let control: ControlProcess
const clients: BundleClient[] = []
const activatedAt = new Map<number, number[]>()

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-fanout-'))
  control = await startControlProcess(dir)
  const jwks = JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8'))
  for (let i = 0; i < N; i++) {
    const scope = sidecarScope('default', `s${i}`)
    const c = bundleClient({
      controlUrl: control.url,
      scope,
      token: control.adminToken,
      instance: `fan-${i}`,
      verifier: bundleVerifier({ jwks, scope }),
      cache: memoryCache(),
      status: new BundleStatus(new MetricsRegistry()),
      log: () => {},
      activator: {
        build: (_config, version) => version,
        commit: (version) => {
          const list = activatedAt.get(version) ?? []
          list.push(Date.now())
          activatedAt.set(version, list)
        },
      },
    })
    clients.push(c)
    await c.start()
  }
  const until = Date.now() + 20_000
  while (clients.some((c) => !c.ready) && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
}, 60_000)

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await control?.stop()
})

describe('bundle fan-out', () => {
  it(`Should bring all ${N} long-polling clients to a new version in well under a second`, async () => {
    expect(clients.every((c) => c.ready)).toBe(true)
    await new Promise((r) => setTimeout(r, 300)) // every client parked in its long-poll
    const start = Date.now()
    const res = await control.api('POST', '/v1/config', { resources: [service('s0')] })
    expect(res.status).toBe(200)
    const { version } = (await res.json()) as { version: number }
    const until = Date.now() + 10_000
    while ((activatedAt.get(version)?.length ?? 0) < N && Date.now() < until) await new Promise((r) => setTimeout(r, 5))
    const times = (activatedAt.get(version) ?? []).map((t) => t - start).sort((a, b) => a - b)
    expect(times.length).toBe(N)
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!
    console.log(`apply → ${N} clients on version ${version}: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${times.at(-1)} ms`)
    // Typically p50 ~220 ms, p99 ~300-500 ms here; the bound is looser than the goal
    // (well under a second) because the test machine's 2 cores are shared.
    expect(p(0.5)).toBeLessThan(1000)
    expect(p(0.99)).toBeLessThan(2000)
  })
})
