/**
 * The Workers' admin endpoints on `/__weft/*`: off unless WEFT_ADMIN is set (then the
 * path is routed like any other), behind a bearer token when WEFT_ADMIN is one.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startWorkerdTarget, type WorkerdTarget } from '../support/workerd-target.js'
import { send } from './helpers.js'

const CONFIG = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec: { gatewayClassName: weft, listeners: [{ name: http, port: 80, protocol: HTTP }] }
`
const started: WorkerdTarget[] = []
const start = async (admin: string) => {
  const t = await startWorkerdTarget({ role: 'gateway', controlUrl: '', trustJwks: '', token: '', gateway: 'default/edge', config: CONFIG, admin })
  started.push(t)
  return t
}
afterAll(async () => {
  for (const t of started) await t.stop()
})

// Each test starts its own Miniflare (a workerd process): seconds on a loaded 2-core machine.
describe('Workers admin endpoints', () => {
  it('off (WEFT_ADMIN unset): /__weft/stats is an ordinary path, routed by the Gateway (404 here)', async () => {
    const t = await start('')
    const r = await send(t.url, '/__weft/stats')
    expect(r.status).toBe(404)
    expect(r.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
  }, 60_000)

  it('with a token: 401 without it, the endpoints with it', async () => {
    const t = await start('s3cret')
    const denied = await send(t.url, '/__weft/stats')
    expect(denied.status).toBe(401)
    expect(denied.headers['x-weft-error']).toBe('ERR_UNAUTHORIZED')
    expect((await send(t.url, '/__weft/stats', { authorization: 'Bearer wrong' })).status).toBe(401)
    const ok = await send(t.url, '/__weft/ready', { authorization: 'Bearer s3cret' })
    expect(ok.status).toBe(200)
    const stats = JSON.parse((await send(t.url, '/__weft/stats', { authorization: 'Bearer s3cret' })).body) as { gateway: string; version: number }
    expect(stats).toMatchObject({ gateway: 'default/edge', version: 1 })
    const metrics = await send(t.url, '/__weft/metrics', { authorization: 'Bearer s3cret' })
    expect(metrics.body).toMatch(/^# (HELP|TYPE) weft_/m)
  }, 60_000)
})
