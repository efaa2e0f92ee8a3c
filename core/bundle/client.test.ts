import { afterEach, describe, expect, it } from 'vitest'
import { emptyConfigSet } from '../config/load.js'
import type { ConfigSet } from '../config/types.js'
import { MetricsRegistry } from '../metrics/registry.js'
import { startFakeControl, type FakeControl } from '../../test/fakes/fake-control.js'
import { memoryCache } from './cache.js'
import { bundleClient } from './client.js'
import { BundleStatus } from './status.js'
import { bundleVerifier } from './verify.js'
import type { Timers } from './poll.js'

const scope = 'gateway.default.edge'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function setup(cp: FakeControl, o: { cache?: ReturnType<typeof memoryCache>; url?: string; failBuild?: (c: ConfigSet) => boolean; timers?: Timers } = {}) {
  const logs: string[] = []
  const built: number[] = []
  const registry = new MetricsRegistry()
  const client = bundleClient({
    controlUrl: o.url ?? cp.url,
    scope,
    instance: 'test',
    verifier: bundleVerifier({ jwks: cp.jwks(), scope }),
    cache: o.cache ?? memoryCache(),
    status: new BundleStatus(registry),
    log: (m) => logs.push(m),
    waitSeconds: 5,
    backoff: { baseMs: 10, maxMs: 50 },
    ...(o.timers && { timers: o.timers }),
    activator: {
      build: (config, version) => {
        if (o.failBuild?.(config)) throw new Error('does not compile')
        return version
      },
      commit: (v) => void built.push(v),
    },
  })
  cleanups.push(() => client.stop())
  return { client, logs, built, registry }
}

async function control(version = 1) {
  const cp = await startFakeControl({ scope, config: emptyConfigSet(), version })
  cleanups.push(() => cp.close())
  return cp
}

describe('bundleClient', () => {
  it('Should boot from the cache, then take newer versions from the control plane and persist them', async () => {
    const cp = await control(3)
    const cache = memoryCache(await cp.sign({ version: 2 }))
    const { client, built } = setup(cp, { cache })
    await client.start()
    expect(built).toEqual([2])
    expect(client.status.source).toBe('cache')
    await client.waitReady(1000)
    for (let i = 0; i < 100 && built.at(-1) !== 3; i++) await new Promise((r) => setTimeout(r, 10))
    expect(built).toEqual([2, 3])
    expect(await cache.load()).toContain('.')
    expect(client.active?.version).toBe(3)
  })

  it('Should serve an expired cached bundle only when the control plane is unreachable', async () => {
    const cp = await control(4)
    const expired = await cp.sign({ version: 4, issuedAt: 1, expiresAt: 2 })
    const down = setup(cp, { cache: memoryCache(expired), url: 'http://127.0.0.1:1' })
    await down.client.start()
    expect(down.built).toEqual([])
    expect(await down.client.waitReady(2000)).toBe(true)
    expect(down.client.status.activeExpired).toBe(true)
    expect(down.logs.join('\n')).toMatch(/EXPIRED/)

    const up = setup(cp, { cache: memoryCache(expired) })
    await up.client.start()
    expect(await up.client.waitReady(2000)).toBe(true)
    expect(up.client.status.source).toBe('control')
    expect(up.client.status.activeExpired).toBe(false)
  })

  it('Should refuse a cached bundle whose signature does not verify', async () => {
    const cp = await control(1)
    const [h, p] = (await cp.sign()).split('.')
    const { client, logs, registry } = setup(cp, { cache: memoryCache(`${h}.${p}.`), url: 'http://127.0.0.1:1' })
    await client.start()
    expect(client.ready).toBe(false)
    expect(logs[0]).toMatch(/ERR_BUNDLE_SIGNATURE.*cached/)
    expect(registry.render()).toMatch(/weft_bundle_rejections_total\{code="ERR_BUNDLE_SIGNATURE"\} 1/)
  })

  it('Should NACK a bundle that does not build and keep the old one', async () => {
    const cp = await control(1)
    const { client, built, logs } = setup(cp, { failBuild: (c) => c.services.length > 0 })
    await client.start()
    await client.waitReady(1000)
    cp.publish({ ...emptyConfigSet(), services: [{ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name: 's', namespace: 'default', labels: {} }, spec: { ports: [], endpoints: [] } }] as unknown as ConfigSet['services'] })
    for (let i = 0; i < 100 && client.status.rejections === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(client.status.lastError?.code).toBe('ERR_CONFIG_INVALID')
    expect(built).toEqual([1])
    expect(logs.join('\n')).toMatch(/still serving version 1/)
    await new Promise((r) => setTimeout(r, 100))
    expect(cp.statuses.some((s) => s.body.lastErrorCode === 'ERR_CONFIG_INVALID' && s.body.version === 1)).toBe(true)
  })

  it('Should back off with growing delays while the control plane is down', async () => {
    const cp = await control(1)
    const delays: number[] = []
    const timers: Timers = { sleep: (ms) => (delays.push(ms), new Promise((r) => setTimeout(r, 1))) }
    const { client } = setup(cp, { url: 'http://127.0.0.1:1', timers })
    await client.start()
    for (let i = 0; i < 200 && delays.length < 5; i++) await new Promise((r) => setTimeout(r, 5))
    await client.stop()
    expect(delays.slice(0, 3).every((d, i) => d >= 5 * 2 ** i && d <= 10 * 2 ** i)).toBe(true)
    expect(Math.max(...delays)).toBeLessThanOrEqual(50)
    expect(client.status.fetchFailures).toBeGreaterThanOrEqual(5)
  })

  it('Should keep the re-signed copy of the running version once it is past half its lifetime', async () => {
    const cp = await control(3)
    const now = Math.floor(Date.now() / 1000)
    const aging = await cp.sign({ version: 3, issuedAt: now - 100, expiresAt: now + 50 })
    const cache = memoryCache(aging)
    const { client, built, logs } = setup(cp, { cache })
    await client.start()
    for (let i = 0; i < 100 && (await cache.load()) === aging; i++) await new Promise((r) => setTimeout(r, 10))
    expect(await cache.load()).not.toBe(aging)
    expect(built).toEqual([3])
    expect(client.active!.expiresAt).toBeGreaterThan(now + 50)
    expect(logs.join('\n')).toMatch(/re-signed/)
  })
})
