/**
 * The gateway Worker refuses bad bundles and keeps serving the last good one: a fake
 * control plane (test/fakes/fake-control.ts) serves tampered, foreign-key, stripped,
 * older, expired and other-scope bundles. Also: a cold isolate with the control plane
 * unreachable and nothing in KV answers 503 not-ready, and wrong bindings are a 500
 * that says which binding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import { startEchoBackends, type EchoBackends } from '../fakes/echo-backend.js'
import { startFakeControl, type FakeControl, type FakeMode } from '../fakes/fake-control.js'
import { startWorkerdTarget, type WorkerdTarget } from '../support/workerd-target.js'
import { eventually, send } from './helpers.js'

let echo: EchoBackends
let cp: FakeControl
let t: WorkerdTarget

function config(tag: string): ConfigSet {
  const docs = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'default' },
      spec: { parentRefs: [{ name: 'edge' }], rules: [{ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-config', value: tag }] } }], backendRefs: [{ name: 'app', port: 80 }] }] },
    },
    { apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name: 'app', namespace: 'default' }, spec: { ports: [{ port: 80 }], endpoints: [{ address: '127.0.0.1', port: echo.ports.get('default/app')! }] } },
  ]
  const loaded = loadConfig([{ name: 'mesh.yaml', text: docs.map((d) => JSON.stringify(d)).join('\n---\n') }])
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues))
  return loaded.config as ConfigSet
}

const served = async () => (await send(t.url, '/')).headers['x-config']
async function rejections(code: string): Promise<number> {
  const text = await (await fetch(`${t.inboundUrl}/__weft/metrics`)).text()
  return Number(new RegExp(`^weft_bundle_rejections_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

beforeAll(async () => {
  echo = await startEchoBackends([{ namespace: 'default', name: 'app' }])
  cp = await startFakeControl({ scope: 'gateway.default.edge', config: config('good-1') })
  t = await startWorkerdTarget({ role: 'gateway', controlUrl: cp.url, trustJwks: JSON.stringify(cp.jwks()), token: 't', gateway: 'default/edge', maxAgeSeconds: 0 })
  await t.ready()
}, 60_000)

afterAll(async () => {
  await t?.stop()
  await cp?.close()
  await echo?.close()
})

describe('gateway Worker bundle verification', () => {
  it('serves the first verified bundle', async () => {
    expect(await served()).toBe('good-1')
  })

  const bad: [FakeMode, string][] = [
    ['tampered', 'ERR_BUNDLE_SIGNATURE'],
    ['other-key', 'ERR_BUNDLE_SIGNATURE'],
    ['stripped', 'ERR_BUNDLE_SIGNATURE'],
    ['older', 'ERR_BUNDLE_ROLLBACK'],
    ['expired', 'ERR_BUNDLE_EXPIRED'],
    ['other-scope', 'ERR_BUNDLE_SCOPE'],
  ]
  let n = 1
  it.each(bad)('[cap workerd hot-swap] refuses a %s bundle (%s) and keeps serving the last good one', async (mode, code) => {
    const before = await rejections(code)
    const total = await t.rejections()
    cp.mode = mode
    cp.publish(config(`bad-${mode}`))
    await eventually(async () => (await send(t.url, '/'), await rejections(code)), (x) => x > before, 10_000, `${code} counted`)
    expect(await served()).toBe(`good-${n}`)
    expect(await t.rejections()).toBeGreaterThan(total)
    expect((await fetch(`${t.inboundUrl}/__weft/ready`)).status).toBe(200)
    cp.mode = 'good'
    const tag = `good-${++n}`
    cp.publish(config(tag))
    await eventually(() => served(), (x) => x === tag, 10_000, `${tag} in force`)
  })
})

describe('gateway Worker start-up failures', () => {
  it('a cold isolate with the control plane unreachable and nothing in KV answers 503 ERR_NOT_READY', async () => {
    const cold = await startWorkerdTarget({ role: 'gateway', controlUrl: 'http://127.0.0.1:9', trustJwks: JSON.stringify(cp.jwks()), token: 't', gateway: 'default/edge' })
    try {
      const r = await send(cold.url, '/')
      expect(r.status).toBe(503)
      expect(r.headers['x-weft-error']).toBe('ERR_NOT_READY')
      expect(r.body).toMatch(/not ready/)
    } finally {
      await cold.stop()
    }
  }, 60_000)

  it('missing or wrong bindings are a 500 ERR_WORKER_CONFIG naming the binding', async () => {
    const bad = await startWorkerdTarget({ role: 'gateway', controlUrl: cp.url, trustJwks: '{"keys": []}', token: 't', gateway: 'default/edge' })
    try {
      const r = await send(bad.url, '/')
      expect(r.status).toBe(500)
      expect(r.headers['x-weft-error']).toBe('ERR_WORKER_CONFIG')
      expect(r.body).toMatch(/WEFT_TRUST_JWKS/)
    } finally {
      await bad.stop()
    }
  }, 60_000)
})
