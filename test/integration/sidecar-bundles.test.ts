/**
 * `weft proxy` fed by a fake control plane: a bundle that is tampered with, signed by
 * another key, stripped of its signature, older, expired, for another scope or
 * oversized is refused; the sidecar keeps routing by the config it had, counts the
 * rejection in /metrics, logs it and stays ready. A good bundle after that is taken.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import type { ConfigSet } from '../../core/config/types.js'
import { startFakeControl, type FakeControl, type FakeMode } from '../fakes/fake-control.js'
import type { ControlProcess } from './control-process.js'
import { eventually, send, startEchoApp, startSidecar, type EchoApp, type SidecarProcess } from './sidecar-process.js'

let dir: string
let cp: FakeControl
let app: EchoApp
let api: EchoApp
let web: SidecarProcess

function config(tag: string): ConfigSet {
  const docs = [
    { apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name: 'api', namespace: 'default' }, spec: { ports: [{ port: 80 }], endpoints: [{ address: '127.0.0.1', port: api.port }] } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'api' }],
        rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-config', value: tag }] } }], backendRefs: [{ name: 'api', port: 80 }] }],
      },
    },
  ]
  const loaded = loadConfig([{ name: 'mesh.yaml', text: docs.map((d) => JSON.stringify(d)).join('\n---\n') }])
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues))
  return loaded.config as ConfigSet
}

const served = async () => JSON.parse((await send(web.outbound, '/', { host: 'api' })).body).headers['x-config'] as string
async function rejections(code: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${web.admin}/metrics`)).text()
  return Number(new RegExp(`^weft_bundle_rejections_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-bundles-'))
  app = await startEchoApp('web')
  api = await startEchoApp('api')
  cp = await startFakeControl({ scope: 'sidecar.default.web', config: config('good-1') })
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(cp.jwks()))
  // The fake serves bundles only: registration is refused (404) and retried, which must not matter.
  web = await startSidecar({ service: 'web', app: app.url, control: { url: cp.url, dir } as ControlProcess, token: 't', lease: 60 })
}, 30_000)

afterAll(async () => {
  await web?.stop('SIGKILL')
  await cp?.close()
  await app?.close()
  await api?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('weft proxy bundle verification', () => {
  it('Should route by the first verified bundle', async () => {
    expect(await served()).toBe('good-1')
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
  let n = 1
  it.each(bad)('Should refuse a %s bundle (%s) and keep routing by the old config', async (mode, code) => {
    const before = await rejections(code)
    const good = await served()
    cp.mode = mode
    cp.publish(config(`bad-${mode}`))
    await eventually(async () => (await rejections(code)) > before, 10_000, `${code} in /metrics`)
    expect(await served()).toBe(good)
    expect(web.output()).toMatch(new RegExp(`bundle rejected \\(${code}\\)`))
    expect((await fetch(`http://127.0.0.1:${web.admin}/ready`)).status).toBe(200)
    cp.mode = 'good'
    const tag = `good-${++n}`
    cp.publish(config(tag))
    await eventually(async () => (await served()) === tag, 10_000, `${tag} in force`)
  })
})
