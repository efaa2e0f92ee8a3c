/**
 * `weft proxy --data DIR`: with the control plane stopped, a running sidecar keeps
 * routing, and a sidecar restarted while it is down starts from the persisted bundle
 * (/ready 200) and routes as before.
 */
import { mkdtempSync, rmSync } from 'node:fs'
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-persist-'))
  control = await startControlProcess(join(dir, 'control'))
  expect((await control.api('POST', '/v1/config', { resources: [meshService('web'), meshService('api')] })).status).toBe(200)
  for (const s of ['web', 'api']) tokens[s] = ((await (await control.api('POST', '/v1/tokens', { service: s })).json()) as { token: string }).token
  webApp = await startEchoApp('web')
  apiApp = await startEchoApp('api')
  web = await startSidecar({ service: 'web', app: webApp.url, control, token: tokens.web!, lease: 60, extra: ['--data', join(dir, 'web')] })
  api = await startSidecar({ service: 'api', app: apiApp.url, control, token: tokens.api!, lease: 60 })
}, 60_000)

afterAll(async () => {
  await api?.stop('SIGKILL')
  await web?.stop('SIGKILL')
  await control?.stop('SIGKILL')
  await webApp?.close()
  await apiApp?.close()
  rmSync(dir, { recursive: true, force: true })
})

const reachesApi = async (sc: SidecarProcess) => {
  const r = await send(sc.outbound, '/p', { host: 'api' })
  return r.status === 200 && JSON.parse(r.body).app === 'api'
}

describe('weft proxy with the control plane down', () => {
  it('Should keep routing, and start from the persisted bundle after a restart [cap node persistence]', async () => {
    await eventually(() => reachesApi(web!), 10_000, 'web → api')
    await control.stop('SIGKILL')
    expect(await reachesApi(web!)).toBe(true)
    await web!.stop('SIGTERM')
    web = await startSidecar({ service: 'web', app: webApp.url, control, token: tokens.web!, lease: 60, extra: ['--data', join(dir, 'web')] })
    expect((await fetch(`http://127.0.0.1:${web.admin}/ready`)).status).toBe(200)
    expect(await reachesApi(web)).toBe(true)
    expect(web.output()).toMatch(/from the cache/)
  }, 40_000)
})
