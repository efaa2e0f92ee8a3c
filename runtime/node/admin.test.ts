import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { StatusError } from 'itty-router'
import { MetricsRegistry } from '../../core/metrics/registry.js'
import { METRICS_CONTENT_TYPE, startAdmin, type AdminOptions, type AdminServer } from './admin.js'

let admin: AdminServer | undefined
afterEach(async () => {
  await admin?.close()
  admin = undefined
})

async function start(overrides: Partial<AdminOptions> = {}): Promise<string> {
  const registry = new MetricsRegistry()
  registry.counter('weft_requests_total', 'Requests.', ['code']).labels('200').inc(3)
  admin = await startAdmin({
    address: '127.0.0.1',
    port: 0,
    ready: () => true,
    config: () => ({ version: 7, routes: ['default/web'] }),
    stats: () => ({ swaps: 2 }),
    metrics: () => registry.render(),
    ...overrides,
  })
  return `http://127.0.0.1:${admin.port}`
}

/** node:http, for what fetch cannot send (HEAD bodies, odd request-targets, TRACE). */
function raw(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject).end()
  })
}

describe('startAdmin', () => {
  it('Should bind an ephemeral port when asked for port 0', async () => {
    await start()
    expect(admin!.port).toBeGreaterThan(0)
  })

  it('Should answer /ready with 200 once ready and 503 before', async () => {
    let ready = false
    const base = await start({ ready: () => ready })
    let res = await fetch(`${base}/ready`)
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('not ready: no verified config yet')
    ready = true
    res = await fetch(`${base}/ready`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ready')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('Should serve /config as pretty JSON, read afresh on every request', async () => {
    let version = 7
    const base = await start({ config: () => ({ version }) })
    let res = await fetch(`${base}/config`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.text()).toBe('{\n  "version": 7\n}\n')
    version = 8
    res = await fetch(`${base}/config`)
    expect(await res.json()).toEqual({ version: 8 })
  })

  it('Should serve /stats as JSON, awaiting a promise and turning undefined into null', async () => {
    let base = await start({ stats: async () => ({ swaps: 2, lastError: null }) })
    let res = await fetch(`${base}/stats`)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.json()).toEqual({ swaps: 2, lastError: null })
    await admin!.close()
    base = await start({ stats: () => undefined })
    res = await fetch(`${base}/stats`)
    expect(await res.text()).toBe('null\n')
  })

  it('Should serve /metrics in Prometheus text format 0.0.4', async () => {
    const base = await start()
    const res = await fetch(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await res.text()).toBe('# HELP weft_requests_total Requests.\n# TYPE weft_requests_total counter\nweft_requests_total{code="200"} 3\n')
  })

  it('Should list the endpoints at /', async () => {
    const base = await start()
    const res = await fetch(base)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const body = await res.text()
    for (const path of ['/ready', '/config', '/stats', '/metrics']) expect(body).toMatch(new RegExp(`GET +${path} `))
    expect(body).toMatch(/GET +\/ +this list/)
  })

  it('Should answer an unknown path with 404 and a body naming the endpoints', async () => {
    const base = await start()
    const res = await fetch(`${base}/nope?x=1`)
    expect(res.status).toBe(404)
    const body = await res.text()
    expect(body).toMatch(/^no admin endpoint at \/nope\n/)
    for (const path of ['/ready', '/config', '/stats', '/metrics']) expect(body).toContain(path)
  })

  it('Should answer other methods with 405 and an Allow header', async () => {
    const base = await start()
    for (const [method, path] of [['POST', '/ready'], ['DELETE', '/config'], ['PUT', '/nope']] as const) {
      const res = await fetch(`${base}${path}`, { method, body: method === 'DELETE' ? undefined : 'x' })
      expect(res.status, `${method} ${path}`).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
      expect(await res.text()).toMatch(new RegExp(`^method ${method} is not allowed on ${path}\\n`))
    }
    const trace = await raw(admin!.port, 'TRACE', '/ready')
    expect(trace.status).toBe(405)
    expect(trace.headers.allow).toBe('GET, HEAD')
  })

  it('Should answer HEAD like GET, without a body', async () => {
    const base = await start()
    const res = await raw(admin!.port, 'HEAD', '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe(METRICS_CONTENT_TYPE)
    expect(Number(res.headers['content-length'])).toBe((await (await fetch(`${base}/metrics`)).text()).length)
    expect(res.body).toBe('')
  })

  it('Should keep an origin-form target that starts with // as a path, not a host', async () => {
    await start()
    const res = await raw(admin!.port, 'GET', '//metrics/ready')
    expect(res.status).toBe(404)
    expect(res.body).toMatch(/^no admin endpoint at \/\/metrics\/ready\n/)
  })

  it('Should turn an error thrown by a callback into a 500 with its message, and keep serving', async () => {
    const base = await start({
      config: () => {
        throw new Error('no snapshot to describe')
      },
      stats: () => ({ n: 1n }), // BigInt: JSON.stringify throws
      metrics: async () => {
        throw new Error('render failed')
      },
      ready: () => {
        throw new Error('store is closed')
      },
    })
    for (const [path, message] of [
      ['/config', 'no snapshot to describe'],
      ['/stats', 'BigInt'],
      ['/metrics', 'render failed'],
      ['/ready', 'store is closed'],
    ] as const) {
      const res = await fetch(`${base}${path}`)
      expect(res.status, path).toBe(500)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await res.text()).toContain(message)
    }
    expect((await fetch(base)).status).toBe(200)
  })

  it('Should let extra add routes, list them, and take their methods and error statuses', async () => {
    const base = await start({
      extra: (router) => {
        router
          .get('/debug/routes', () => Response.json(['default/web']))
          .post('/drain', async (req) => new Response(`draining: ${await req.text()}`, { status: 202 }))
          .get('/debug/bad', () => {
            throw new StatusError(400, 'bad debug query')
          })
      },
    })
    expect(await (await fetch(`${base}/debug/routes`)).json()).toEqual(['default/web'])
    const drain = await fetch(`${base}/drain`, { method: 'POST', body: 'now' })
    expect(drain.status).toBe(202)
    expect(await drain.text()).toBe('draining: now')
    const bad = await fetch(`${base}/debug/bad`)
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('bad debug query\n')
    const get = await fetch(`${base}/drain`)
    expect(get.status).toBe(404)
    const put = await fetch(`${base}/drain`, { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('POST')
    const index = await (await fetch(base)).text()
    expect(index).toMatch(/GET +\/debug\/routes/)
    expect(index).toMatch(/POST +\/drain/)
  })

  it('Should reject when the port is taken, and close idempotently even with keep-alive clients', async () => {
    const base = await start()
    await fetch(`${base}/ready`) // leaves a keep-alive connection open
    await expect(startAdmin({ address: '127.0.0.1', port: admin!.port, ready: () => true, config: () => null, stats: () => null, metrics: () => '' })).rejects.toThrow(/EADDRINUSE/)
    await Promise.all([admin!.close(), admin!.close()])
    await expect(fetch(`${base}/ready`)).rejects.toThrow()
  })
})
