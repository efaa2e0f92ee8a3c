/**
 * @module
 * The cross-runtime black-box suite: one set of cases, run against a gateway and a
 * sidecar started under one runtime (node, bun, deno: real `weft gateway|proxy
 * --runtime R` processes; workerd: through Miniflare), fed by one real `weft control`
 * (test/runtimes/world.ts) through a relay per target (test/runtimes/relay.ts) that
 * can forge bundles or play the control plane going down.
 *
 * A gateway is called on its listener with `Host: app.example`; a sidecar on its
 * outbound listener with the destination Service in Host (`web`, GAMMA routes).
 * Titles carry `[cap RUNTIME CELL]` where a case proves a README capability cell.
 *
 * One file per runtime calls `blackbox(runtime)` (blackbox.RUNTIME.test.ts), so the
 * runtimes run in parallel, each with its own control plane and backends.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTarget, type Role, type Target, type TargetRuntime } from '../support/targets.js'
import { call, echoOf, rawStatus, type CallOptions } from './client.js'
import { startRelay, type Relay } from './relay.js'
import { GATEWAY, GATEWAY_HOST, MESH_HOST, PATTERN, PLAIN_HOST, SIDECAR_SERVICE, patternHash, startWorld, swapRoute, type World } from './world.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const BIG = 50 * 1024 * 1024
/** A body buffered whole would add its own 50 MB; V8/JSC heaps grow a little on first use. */
const RSS_BOUND_MB = 40

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** CPU time (user + system, clock ticks) `pid` has used so far. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** Peak RSS of `pid` (sampled every 25 ms) while `work` runs. */
async function peakRss<T>(pid: number | undefined, work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = pid ? rssMb(pid) : NaN
  const t = pid ? setInterval(() => (peak = Math.max(peak, rssMb(pid))), 25) : undefined
  try {
    return { result: await work, peak }
  } finally {
    clearInterval(t)
  }
}

function patternStream(size: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null)
      const n = Math.min(PATTERN.length, size - sent)
      sent += n
      this.push(n === PATTERN.length ? PATTERN : PATTERN.subarray(0, n))
    },
  })
}

/** GET a large body, hashing it as it arrives (nothing kept). */
function download(url: string, path: string, host: string): Promise<{ status: number; bytes: number; sha256: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, path, headers: { host }, agent: false }, (res) => {
      const h = createHash('sha256')
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
        h.update(c)
      })
      res.on('end', () => resolve({ status: res.statusCode!, bytes, sha256: h.digest('hex') }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

export function blackbox(runtime: TargetRuntime): void {
  let world: World

  beforeAll(async () => {
    world = await startWorld()
  }, 60_000)
  afterAll(async () => {
    await world?.close()
  })

  for (const role of ['gateway', 'sidecar'] as const) roleSuite(runtime, role, () => world)
}

function roleSuite(runtime: TargetRuntime, role: Role, getWorld: () => World): void {
  const cap = (cell: string) => `[cap ${runtime} ${cell}]`
  const host = role === 'gateway' ? GATEWAY_HOST : MESH_HOST
  let target: Target | undefined
  let relay: Relay | undefined
  let agent: Agent
  let generation = 'g-0'

  const t = (): Target => {
    if (!target) throw new Error(`the ${runtime} ${role} did not start (see the beforeAll error)`)
    return target
  }
  const get = (path: string, o: Partial<CallOptions> = {}) => call(t().url, path, { host, agent, ...o })
  const generationNow = async () => (await get('/swap')).headers['x-generation']

  /** Apply a new /swap generation and wait until the target serves it (requests also drive a Worker's refresh). */
  const swapTo = async (gen: string, ms = 15_000) => {
    await getWorld().apply([swapRoute(role, gen)])
    const until = Date.now() + ms
    while ((await generationNow().catch(() => undefined)) !== gen) {
      if (Date.now() > until) throw new Error(`the ${runtime} ${role} did not serve generation ${gen} within ${ms} ms\n${t().output().slice(-3000)}`)
      await sleep(50)
    }
    generation = gen
  }

  describe(`${runtime} ${role}`, () => {
    beforeAll(async () => {
      const w = getWorld()
      agent = new Agent({ keepAlive: true, maxSockets: 4 })
      relay = await startRelay(w.control.url)
      const token = await w.token(role === 'gateway' ? { gateway: GATEWAY } : { service: SIDECAR_SERVICE })
      target = await startTarget({
        runtime,
        role,
        controlUrl: relay.url,
        trustFile: w.trustFile,
        token,
        ...(role === 'gateway' ? { gateway: GATEWAY, listenPort: w.listenPort } : { service: SIDECAR_SERVICE, namespace: 'default', app: `http://127.0.0.1:${w.echo.ports.get('default/v1')}` }),
      })
    }, 60_000)
    afterAll(async () => {
      agent?.destroy()
      await target?.stop()
      await relay?.close()
    })

    it(`routes by exact path, path prefix + header, and method ${cap('serve')}`, async () => {
      const exact = await get('/exact')
      expect(exact.status).toBe(200)
      expect(echoOf(exact).pod).toMatch(/^v1-/)
      expect(exact.headers['x-rule']).toBe('exact')
      expect((await get('/exact/more')).status).toBe(404)
      expect(echoOf(await get('/prefix/a', { headers: { 'x-variant': 'b' } })).pod).toMatch(/^v2-/)
      expect(echoOf(await get('/prefix/a', { headers: { 'x-variant': 'c' } })).pod).toMatch(/^v1-/)
      const post = await get('/method', { method: 'POST', body: 'hello' })
      expect(echoOf(post).pod).toMatch(/^v2-/)
      expect(echoOf(post).method).toBe('POST')
      expect(echoOf(await get('/method')).pod).toMatch(/^v1-/)
    })

    if (role === 'gateway') {
      it(`routes by hostname: another Host matches no route (404) ${cap('serve')}`, async () => {
        expect((await get('/exact')).status).toBe(200)
        const other = await get('/exact', { host: 'other.example' })
        expect(other.status).toBe(404)
        expect(other.headers['x-weft-error']).toBe('ERR_NO_ROUTE')
      })
    } else {
      it(`routes by destination: Host web takes its routes, Host plain passes through to its endpoints ${cap('serve')}`, async () => {
        expect(echoOf(await get('/exact')).pod).toMatch(/^v1-/)
        const plain = await get('/anything', { host: PLAIN_HOST })
        expect(plain.status).toBe(200)
        expect(echoOf(plain).pod).toMatch(/^v2-/)
        expect(echoOf(plain).path).toBe('/anything')
      })
    }

    it('splits 80/20 by weight: v1 count within [130, 190] of 200 requests', async () => {
      let v1 = 0
      for (let i = 0; i < 200; i++) {
        const a = await get(`/split?i=${i}`)
        expect(a.status).toBe(200)
        if (echoOf(a).pod.startsWith('v1-')) v1++
      }
      // Binomial(200, 0.8): mean 160, sd 5.7; the bounds are more than 5 sd away.
      expect(v1).toBeGreaterThanOrEqual(130)
      expect(v1).toBeLessThanOrEqual(190)
    })

    it('applies request header filters (set, add, remove) on the way up', async () => {
      const a = await get('/headers', { headers: { 'x-set': 'from-client', 'x-add': 'from-client', 'x-remove': 'gone', 'x-keep': 'kept' } })
      expect(a.status).toBe(200)
      const h = echoOf(a).headers
      expect(h['X-Set']).toEqual(['set-by-route'])
      expect(h['X-Add']?.join(',')).toBe('from-client,added-by-route')
      expect(h['X-Remove']).toBeUndefined()
      expect(h['X-Keep']).toEqual(['kept'])
    })

    it('applies response header filters (set, remove) on the way down', async () => {
      const a = await get('/headers')
      expect(a.status).toBe(200)
      expect(a.headers['x-resp']).toBe('resp-by-route')
      expect(a.headers['x-content-type-options']).toBeUndefined()
      expect(a.headers['content-type']).toBe('application/json')
      // The same backend without the filter does send it.
      expect((await get('/exact')).headers['x-content-type-options']).toBe('nosniff')
    })

    it('answers a RequestRedirect itself: 301 with the rewritten Location', async () => {
      const a = await get('/redirect/page?q=1')
      expect(a.status).toBe(301)
      expect(a.headers.location).toBe('https://redirect.example/moved?q=1')
    })

    if (runtime !== 'workerd') {
      it('rewrites the path prefix and the Host before forwarding', async () => {
        const a = await get('/rewrite/a/b?q=1')
        expect(a.status).toBe(200)
        const e = echoOf(a)
        expect(e.path).toBe('/rewritten/a/b?q=1')
        expect(e.host).toBe('rewritten.example')
      })
    } else {
      // docs/workers.md (the gateway Worker): workerd's fetch always sends the URL's
      // authority as Host, so a hostname rewrite cannot reach the backend.
      it("rewrites the path prefix; the backend sees the endpoint's address as Host, as documented for workerd's fetch", async () => {
        const a = await get('/rewrite/a/b?q=1')
        expect(a.status).toBe(200)
        const e = echoOf(a)
        expect(e.path).toBe('/rewritten/a/b?q=1')
        expect(e.host).toBe(`127.0.0.1:${getWorld().echo.ports.get('default/v1')}`)
      })
    }

    describe('error statuses', () => {
      const expectError = async (path: string, status: number, code: string) => {
        const a = await get(path)
        expect(a.status, a.body).toBe(status)
        expect(a.headers['x-weft-error']).toBe(code)
      }
      it('404 when no rule matches', () => expectError('/no-such-rule', 404, 'ERR_NO_ROUTE'))
      it('502 when the endpoint refuses the connection', () => expectError('/refused', 502, 'ERR_UPSTREAM_CONNECT'))
      it('503 when the Service has no endpoint', () => expectError('/empty', 503, 'ERR_NO_HEALTHY_UPSTREAM'))
      it('500 when the backend does not resolve (no such Service)', () => expectError('/ghost', 500, 'ERR_BACKEND_UNRESOLVED'))
      it('504 when the rule timeout (500ms) expires before the backend answers', async () => {
        const start = Date.now()
        await expectError('/timeout?delay=3s', 504, 'ERR_UPSTREAM_TIMEOUT')
        expect(Date.now() - start).toBeLessThan(2500)
      })
      it('400 for a malformed request (invalid percent-encoding in the target)', async () => {
        expect(await rawStatus(t().url, `GET /exact%zz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toBe(400)
      })
    })

    it(`reuses upstream connections: 20 sequential calls arrive on at most 3 connections ${cap('upstream-pool')}`, async () => {
      const ports = new Set<string>()
      for (let i = 0; i < 20; i++) {
        const a = await get('/files/conn')
        expect(a.status).toBe(200)
        ports.add(a.body)
      }
      expect(ports.size).toBeLessThanOrEqual(3)
    })

    describe('streaming 50 MB', () => {
      let cpuBefore = NaN
      beforeAll(async () => {
        const pid = t().pid()
        if (pid) cpuBefore = cpuTicks(pid)
        // Warm-up: the first large bodies grow the runtime's heaps and buffers once.
        await call(t().url, '/files/up', { host, method: 'POST', body: patternStream(8 * 1024 * 1024) })
        await download(t().url, `/files/down?size=${8 * 1024 * 1024}`, host)
      }, 60_000)

      const memoryNote = () => (t().pid() === undefined ? ' (no process to read: integrity only)' : '')

      it('reads memory from the process that serves (the runtime binary itself, not a Node parent)', () => {
        const pid = t().pid()
        if (pid === undefined) {
          expect(runtime, 'only a workerd target may have no process to read').toBe('workerd')
          return
        }
        expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(new RegExp(`/${runtime}[^/]*$`))
      })

      it(`streams a 50 MB upload through, sha256 intact, RSS growth < ${RSS_BOUND_MB} MB ${cap('streaming')}`, async () => {
        const pid = t().pid()
        if (pid === undefined && runtime !== 'workerd') throw new Error(`no serving PID for the ${runtime} ${role}`)
        const base = pid ? rssMb(pid) : NaN
        const { result, peak } = await peakRss(pid, call(t().url, '/files/up', { host, method: 'POST', body: patternStream(BIG), headers: { 'content-type': 'application/octet-stream' }, timeoutMs: 60_000 }))
        expect(result.status, result.body).toBe(200)
        expect(JSON.parse(result.body)).toEqual({ bytes: BIG, sha256: patternHash(BIG) })
        if (pid) expect(peak - base, `RSS ${base.toFixed(1)} → peak ${peak.toFixed(1)} MB${memoryNote()}`).toBeLessThan(RSS_BOUND_MB)
      }, 90_000)

      it(`streams a 50 MB download through, sha256 intact, RSS growth < ${RSS_BOUND_MB} MB ${cap('streaming')}`, async () => {
        const pid = t().pid()
        if (pid === undefined && runtime !== 'workerd') throw new Error(`no serving PID for the ${runtime} ${role}`)
        const base = pid ? rssMb(pid) : NaN
        const { result, peak } = await peakRss(pid, download(t().url, `/files/down?size=${BIG}`, host))
        expect(result.status).toBe(200)
        expect(result.bytes).toBe(BIG)
        expect(result.sha256).toBe(patternHash(BIG))
        if (pid) expect(peak - base, `RSS ${base.toFixed(1)} → peak ${peak.toFixed(1)} MB`).toBeLessThan(RSS_BOUND_MB)
      }, 90_000)

      it('the process whose memory was read is the one that carried the bodies (it spent CPU time meanwhile)', () => {
        const pid = t().pid()
        if (pid === undefined) return void expect(runtime, 'only a workerd target may have no process to read').toBe('workerd')
        // 116 MB went through it (clock ticks are 10 ms; one 50 MB body alone may take less).
        expect(cpuTicks(pid) - cpuBefore, `process ${pid}`).toBeGreaterThan(0)
      })
    })

    it(`swaps in a config applied through the control plane with no failed request under load ${cap('hot-swap')}`, async () => {
      const failures: string[] = []
      let ok = 0
      let stop = false
      // Fresh connections kept busy: an idle pooled one closed by the server's keep-alive
      // timeout just as it is reused ("socket hang up") would say nothing about the swap.
      const loadAgent = new Agent({ keepAlive: true, maxSockets: 2 })
      const loop = async () => {
        while (!stop) {
          try {
            const a = await get('/swap', { agent: loadAgent })
            if (a.status === 200) ok++
            else failures.push(`${a.status} ${a.body.slice(0, 200)}`)
          } catch (err) {
            failures.push((err as Error).message)
          }
        }
      }
      const load = [loop(), loop()]
      try {
        for (let n = 1; n <= 3; n++) await swapTo(`g-${n}`)
      } finally {
        stop = true
        await Promise.all(load)
        loadAgent.destroy()
      }
      expect(failures).toEqual([])
      expect(ok).toBeGreaterThan(10)
      expect(await generationNow()).toBe('g-3')
    }, 60_000)

    it('refuses a forged bundle (payload changed under the signature) and keeps serving the config it had', async () => {
      const r = relay!
      const before = await t().version()
      const rejectionsBefore = await t().rejections()
      const served = generation
      r.tamper = true
      const tamperedBefore = r.tampered
      try {
        await getWorld().apply([swapRoute(role, 'g-reject')])
        const until = Date.now() + 15_000
        // Requests keep flowing: a Worker refreshes its bundle on requests.
        while (r.tampered === tamperedBefore) {
          if (Date.now() > until) throw new Error(`the ${runtime} ${role} fetched no bundle within 15 s after the change`)
          expect((await get('/swap')).headers['x-generation']).toBe(served)
          await sleep(50)
        }
        if (rejectionsBefore !== undefined) {
          while ((await t().rejections())! <= rejectionsBefore) {
            if (Date.now() > until) throw new Error(`the ${runtime} ${role} did not count the rejection within 15 s`)
            await sleep(50)
          }
        } else await sleep(1000)
        for (let i = 0; i < 10; i++) {
          const a = await get('/swap')
          expect(a.status).toBe(200)
          expect(a.headers['x-generation']).toBe(served)
        }
        expect(await t().version()).toBe(before)
      } finally {
        r.tamper = false
      }
      // The control plane's next change, served intact, is taken.
      await swapTo('g-after-reject')
    }, 60_000)

    it(`restarts with the control plane down and serves its kept bundle ${cap('persistence')}`, async () => {
      await relay!.close()
      await t().restart()
      expect(await generationNow()).toBe(generation)
      expect(echoOf(await get('/exact')).pod).toMatch(/^v1-/)
    }, 60_000)
  })
}
