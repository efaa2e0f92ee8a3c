/**
 * The control plane's state survives: a restart (SIGTERM, start again on the same DIR)
 * keeps the config, version, history, signing key and tokens; a SIGKILL in the middle
 * of a stream of applies leaves a store that loads, at the last acknowledged version
 * or the one after it, never behind.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { gateway, route, service, startControlProcess, type ControlProcess } from './control-process.js'

const dirs: string[] = []
const procs: ControlProcess[] = []
afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function start(dir: string): Promise<ControlProcess> {
  const p = await startControlProcess(dir)
  procs.push(p)
  return p
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-control-restart-'))
  dirs.push(d)
  return join(d, 'data')
}

const body = async (r: Promise<Response>) => (await r).json() as Promise<any>

describe('weft control restarts', () => {
  it('Should keep config, version, history, key and tokens across a SIGTERM and restart', async () => {
    const dir = tmp()
    const a = await start(dir)
    await a.api('POST', '/v1/config', { resources: [gateway('edge'), route('web', 'edge', [{ name: 'web' }]), service('web')] })
    await a.api('POST', '/v1/config', { resources: [service('web', 'default', 3999)] })
    const tokenRes = await body(a.api('POST', '/v1/tokens', { gateway: 'default/edge' }))
    const config = await body(a.api('GET', '/v1/config'))
    await a.api('POST', '/v1/proxies/gateway.default.edge/status', { instance: 'gw-1', version: config.version }, { token: tokenRes.token })
    const history = await body(a.api('GET', '/v1/config/versions'))
    const jwks = readFileSync(join(dir, 'jwks.json'), 'utf8')
    // A long-poll in flight must not hold the stop up.
    const poll = a.api('GET', '/v1/bundles/gateway.default.edge?wait=60', undefined, { headers: { 'if-none-match': `"${config.version}"` } }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 100))
    const stopped = Date.now()
    expect(await a.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(Date.now() - stopped).toBeLessThan(1500)
    await poll

    const b = await start(dir)
    expect(b.adminToken).toBe(a.adminToken)
    expect(await body(b.api('GET', '/v1/config'))).toEqual(config)
    expect(await body(b.api('GET', '/v1/config/versions'))).toEqual(history)
    expect(readFileSync(join(dir, 'jwks.json'), 'utf8')).toBe(jwks)
    const bundle = await b.api('GET', '/v1/bundles/gateway.default.edge', undefined, { token: tokenRes.token })
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('etag')).toBe(`"${config.version}"`)
    const proxies = await body(b.api('GET', '/v1/proxies'))
    expect(proxies.proxies).toEqual([expect.objectContaining({ proxy: 'gateway.default.edge', instance: 'gw-1', version: config.version, inSync: true })])
    const next = await body(b.api('POST', '/v1/config', { resources: [service('web', 'default', 4000)] }))
    expect(next.version).toBe(config.version + 1)
    await b.stop()
  })

  it('Should leave a loadable store, never behind the last acknowledged version, after a SIGKILL during applies', async () => {
    const dir = tmp()
    const a = await start(dir)
    // Enough resources that each write takes a while.
    const filler = Array.from({ length: 300 }, (_, i) => service(`filler-${i}`, 'default', 10_000 + i))
    await a.api('POST', '/v1/config', { resources: filler })
    let acked = 0
    let stop = false
    const writers = [0, 1, 2].map(async (w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await a.api('POST', '/v1/config', { resources: [service(`hot-${w}`, 'default', 20_000 + i)] })
          if (r.status === 200) acked = Math.max(acked, (await r.json()).version)
        } catch {
          return
        }
      }
    })
    await new Promise((r) => setTimeout(r, 400))
    expect(await a.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
    stop = true
    await Promise.all(writers)
    expect(acked).toBeGreaterThan(2)

    const b = await start(dir)
    const cfg = await body(b.api('GET', '/v1/config'))
    expect(cfg.version).toBeGreaterThanOrEqual(acked)
    expect(cfg.version).toBeLessThanOrEqual(acked + 3)
    expect(cfg.resources.filter((r: any) => r.metadata.name.startsWith('filler-'))).toHaveLength(300)
    const history = await body(b.api('GET', '/v1/config/versions'))
    expect(history.versions.at(-1).version).toBe(cfg.version)
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).version).toBe(cfg.version)
    expect((await b.api('POST', '/v1/config', { resources: [service('after')] })).status).toBe(200)
    await b.stop()
    expect(readdirSync(dir).filter((f) => f.startsWith('state.json.tmp-'))).toEqual([])
  })
})
