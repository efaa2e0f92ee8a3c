/**
 * Hot reload from files: 20 reloads under a bounded load loop fail no request; a bad
 * config is rejected with all its errors while the old one keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { Agent, request } from 'undici'
import { edgeConfig, freePort, service, startGateway, type GatewayProcess } from './gateway-process.js'

let gw: GatewayProcess
let upstreams: Server[] = []
let ports: number[] = []
let port: number

function config(version: number): string {
  return edgeConfig(
    port,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-config, value: "v${version}" }] }
      backendRefs:
        - { name: a, port: 80, weight: ${version % 2 ? 1 : 3} }
        - { name: b, port: 80, weight: 1 }`,
    service('a', [{ address: '127.0.0.1', port: ports[0]! }]),
    service('b', [{ address: '127.0.0.1', port: ports[1]! }]),
  )
}

beforeAll(async () => {
  for (const name of ['a', 'b']) {
    const s = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end(name), 800)
      else res.end(name)
    })
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    upstreams.push(s)
    ports.push((s.address() as { port: number }).port)
  }
  port = await freePort()
  gw = await startGateway(config(1))
})

afterAll(async () => {
  await gw?.stop()
  for (const s of upstreams) s.close()
})

describe('config reload', () => {
  it('Should fail no request during 20 reloads under load [cap node hot-swap]', async () => {
    const agent = new Agent({ connections: 8 })
    let stop = false
    let ok = 0
    const failures: string[] = []
    const seen = new Set<string>()
    const worker = async () => {
      // Bounded: stops when the reloads are done, or after 2,000 requests per worker.
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const r = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent })
          const body = await r.body.text()
          if (r.statusCode !== 200 || (body !== 'a' && body !== 'b')) failures.push(`${r.statusCode} ${body}`)
          else ok++
          seen.add(String(r.headers['x-config']))
        } catch (err) {
          failures.push(String(err))
        }
      }
    }
    const load = Promise.all(Array.from({ length: 8 }, worker))
    for (let v = 2; v <= 21; v++) await gw.rewrite(config(v))
    stop = true
    await load
    await agent.close()
    expect(failures).toEqual([])
    expect(ok).toBeGreaterThan(100)
    const stats = (await (await gw.admin('/stats')).json()) as { version: number; rejections: number }
    expect(stats.version).toBe(21)
    expect(stats.rejections).toBe(0)
    // Requests really ran across the swaps: several config versions answered.
    expect(seen.size).toBeGreaterThan(3)
  })

  it('Should finish a request in flight on the config it started with', async () => {
    const before = (await (await gw.admin('/stats')).json()) as { version: number }
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`)
    await new Promise((r) => setTimeout(r, 200)) // the request is now waiting on the upstream
    await gw.rewrite(config(before.version + 1))
    const fresh = await fetch(`http://127.0.0.1:${port}/`)
    expect(fresh.headers.get('x-config')).toBe(`v${before.version + 1}`)
    const old = await inFlight
    expect(old.status).toBe(200)
    expect(old.headers.get('x-config')).toBe(`v${before.version}`)
  })

  it('Should reject a bad config with every error and keep serving the old one', async () => {
    const before = (await (await gw.admin('/config')).json()) as { version: number }
    const bad = config(99)
      .replace('weight: 1 }', 'weight: -5 }')
      + `\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: broken }\nspec:\n  parentRefs: [{ name: edge }]\n  rules:\n    - matches: [{ path: { type: Exact, value: no-slash } }]\n`
    await gw.rewrite(bad)
    const stats = (await (await gw.admin('/stats')).json()) as { version: number; rejections: number; lastError: string }
    expect(stats.rejections).toBe(1)
    expect(stats.version).toBe(before.version)
    // Both problems are reported, each with the file, document and field path.
    expect(stats.lastError).toMatch(/document 2.*weight/s)
    expect(stats.lastError).toMatch(/document 5.*spec\.rules\[0\]\.matches\[0\]\.path\.value/s)
    expect(gw.output()).toContain('still serving version')
    const r = await fetch(`http://127.0.0.1:${port}/`)
    expect(r.status).toBe(200)
    expect(r.headers.get('x-config')).toBe('v22')
    const metrics = await (await gw.admin('/metrics')).text()
    expect(metrics).toMatch(/^weft_config_rejections_total 1$/m)
    expect(metrics).toMatch(/^weft_config_swaps_total 22$/m)
  })
})
