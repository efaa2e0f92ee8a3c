/**
 * `weft apply` under load through a sidecar: a bounded load loop from web's app
 * through web's sidecar to api (through api's sidecar) while 20 config changes are
 * applied; no request fails, and the last change is in force at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlProcess, type ControlProcess } from './control-process.js'
import { eventually, send, startEchoApp, startSidecar, type EchoApp, type SidecarProcess } from './sidecar-process.js'

let dir: string
let control: ControlProcess
let webApp: EchoApp
let apiApp: EchoApp
let web: SidecarProcess | undefined
let api: SidecarProcess | undefined
const tokens: Record<string, string> = {}
const meshService = (name: string) => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } })
const route = (tag: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'api-routes', namespace: 'default' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'api' }],
    rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-tag', value: tag }] } }], backendRefs: [{ name: 'api', port: 80 }] }],
  },
})
const apply = async (tag: string) => {
  const r = await control.api('POST', '/v1/config', { resources: [meshService('web'), meshService('api'), route(tag)] })
  expect(r.status, await r.clone().text()).toBe(200)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-apply-'))
  control = await startControlProcess(join(dir, 'control'))
  await apply('v0')
  for (const s of ['web', 'api']) tokens[s] = ((await (await control.api('POST', '/v1/tokens', { service: s })).json()) as { token: string }).token
  webApp = await startEchoApp('web')
  apiApp = await startEchoApp('api')
  web = await startSidecar({ service: 'web', app: webApp.url, control, token: tokens.web!, lease: 60 })
  api = await startSidecar({ service: 'api', app: apiApp.url, control, token: tokens.api!, lease: 60 })
}, 60_000)

afterAll(async () => {
  await api?.stop('SIGKILL')
  await web?.stop('SIGKILL')
  await control?.stop()
  await webApp?.close()
  await apiApp?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('weft apply under load through a sidecar', () => {
  it('Should fail no request while 20 changes are applied', async () => {
    await eventually(async () => (await send(web!.outbound, '/', { host: 'api' })).status === 200, 10_000, 'web → api')
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    const failures: string[] = []
    let ok = 0
    let running = true
    const one = () =>
      new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: web!.outbound, path: '/load', headers: { host: 'api' }, agent }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => {
            if (res.statusCode === 200 && JSON.parse(body).app === 'api') ok++
            else failures.push(`${res.statusCode} ${body.slice(0, 200)}`)
            resolve()
          })
        })
        req.on('error', (err) => {
          failures.push(err.message)
          resolve()
        })
        req.end()
      })
    const loops = Array.from({ length: 4 }, async () => {
      while (running) await one()
    })
    for (let i = 1; i <= 20; i++) {
      await apply(`v${i}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    await eventually(async () => JSON.parse((await send(web!.outbound, '/', { host: 'api' })).body).headers['x-tag'] === 'v20', 5000, 'v20 in force')
    running = false
    await Promise.all(loops)
    agent.destroy()
    expect(failures).toEqual([])
    expect(ok).toBeGreaterThan(20)
    console.log(`sidecar under 20 applies: ${ok} requests, ${failures.length} failed`)
  }, 60_000)
})
