/**
 * Sidecar instance registration: a registered instance is an endpoint of its Service
 * in every bundle while its lease runs; renewing changes nothing; deregistering or a
 * lapsed lease drops it (a new version); a restart keeps registrations for one lease.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { service, startControlProcess, type ControlProcess } from './control-process.js'

let control: ControlProcess
let dir: string
let apiToken: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-control-instances-'))
  control = await startControlProcess(join(dir, 'data'))
  await control.api('POST', '/v1/config', { resources: [service('api', 'default', 3000), service('web')] })
  apiToken = (await (await control.api('POST', '/v1/tokens', { service: 'api' })).json()).token
})
afterAll(async () => {
  await control?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const version = async () => (await (await control.api('GET', '/v1/config')).json()).version as number

async function apiEndpoints(): Promise<{ address: string; port: number; labels: Record<string, string> }[]> {
  const jws = await (await control.api('GET', '/v1/bundles/sidecar.default.web')).text()
  const payload = decodeJwt(jws) as unknown as { config: { services: { metadata: { name: string }; spec: { endpoints: any[] } }[] } }
  return payload.config.services.find((s) => s.metadata.name === 'api')!.spec.endpoints
}

describe('instance registration', () => {
  it('Should add a registered instance to its Service in other sidecars\' bundles, and renew without a new version', async () => {
    const v = await version()
    const r = await control.api('PUT', '/v1/proxies/sidecar.default.api/instances/api-1', { address: '127.0.0.1', port: 15006, leaseSeconds: 30 }, { token: apiToken })
    expect(r.status).toBe(200)
    expect(await r.json()).toMatchObject({ version: v + 1, changed: true, leaseSeconds: 30 })
    expect(await apiEndpoints()).toEqual([
      { address: '127.0.0.1', port: 3000, labels: {} },
      { address: '127.0.0.1', port: 15006, labels: { 'weft.dev/instance': 'api-1' } },
    ])
    const renew = await (await control.api('PUT', '/v1/proxies/sidecar.default.api/instances/api-1', { address: '127.0.0.1', port: 15006, leaseSeconds: 30 }, { token: apiToken })).json()
    expect(renew).toMatchObject({ version: v + 1, changed: false })
    expect(await (await fetch(`${control.url}/metrics`)).text()).toMatch(/weft_control_instances_registered 1/)
    const list = await (await control.api('GET', '/v1/instances')).json()
    expect(list.instances).toEqual([expect.objectContaining({ scope: 'sidecar.default.api', instance: 'api-1', port: 15006 })])
  })

  it('Should refuse another scope, a gateway and a bad body', async () => {
    expect((await control.api('PUT', '/v1/proxies/sidecar.default.web/instances/x', { address: '127.0.0.1', port: 1 }, { token: apiToken })).status).toBe(403)
    expect((await control.api('PUT', '/v1/proxies/gateway.default.edge/instances/x', { address: '127.0.0.1', port: 1 })).status).toBe(400)
    const bad = await control.api('PUT', '/v1/proxies/sidecar.default.api/instances/x', { address: '127.0.0.1', port: 70000 }, { token: apiToken })
    expect(bad.status).toBe(400)
    expect((await bad.json()).message).toMatch(/port/)
  })

  it('Should drop an instance whose lease lapses, with a new version', async () => {
    await control.api('PUT', '/v1/proxies/sidecar.default.api/instances/api-short', { address: '127.0.0.2', port: 15006, leaseSeconds: 1 }, { token: apiToken })
    const v = await version()
    expect((await apiEndpoints()).map((e) => e.labels['weft.dev/instance'])).toContain('api-short')
    const res = await control.api('GET', '/v1/bundles/sidecar.default.web?wait=5', undefined, { headers: { 'if-none-match': `"${v}"` } })
    expect(res.status).toBe(200)
    expect((await apiEndpoints()).map((e) => e.labels['weft.dev/instance'])).not.toContain('api-short')
    const hist = await (await control.api('GET', '/v1/config/versions')).json()
    expect(hist.versions.at(-1)).toMatchObject({ action: 'expire', removed: ['Instance sidecar.default.api/api-short'] })
  })

  it('Should keep registrations across a restart and drop one on deregister', async () => {
    await control.stop()
    control = await startControlProcess(join(dir, 'data'))
    expect((await apiEndpoints()).map((e) => e.labels['weft.dev/instance'])).toContain('api-1')
    const v = await version()
    const del = await control.api('DELETE', '/v1/proxies/sidecar.default.api/instances/api-1', undefined, { token: apiToken })
    expect(await del.json()).toEqual({ version: v + 1 })
    expect((await control.api('DELETE', '/v1/proxies/sidecar.default.api/instances/api-1', undefined, { token: apiToken })).status).toBe(404)
    expect((await apiEndpoints()).length).toBe(1)
  })
})
