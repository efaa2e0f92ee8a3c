/**
 * The conformance echo backend behaves as echo-basic does: the JSON echo, `?delay=`,
 * `X-Echo-Set-Header`, the `/retry/` failures, and the request log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request as httpRequest } from 'node:http'
import { canonicalHeaderName, parseGoDuration, startEchoBackends, type EchoBackends, type EchoBody } from './echo-backend.js'

let echo: EchoBackends
const V1 = 'gateway-conformance-infra/infra-backend-v1'
const WEB = 'gateway-conformance-web-backend/web-backend'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(key: string, path: string, headers: Record<string, string> | string[] = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: echo.ports.get(key), path, method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  echo = await startEchoBackends([
    { namespace: 'gateway-conformance-infra', name: 'infra-backend-v1' },
    { namespace: 'gateway-conformance-web-backend', name: 'web-backend' },
  ])
})
afterAll(() => echo?.close())

describe('echo backend', () => {
  it('Should echo the request as JSON with its namespace and a pod named after the Service', async () => {
    const r = await send(WEB, '/a/b?x=1&y=2', ['Host', 'example.com:8080', 'x-multi', 'one', 'X-Multi', 'two'], 'PATCH')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/json')
    const body = JSON.parse(r.body) as EchoBody
    expect(body.path).toBe('/a/b?x=1&y=2')
    expect(body.host).toBe('example.com:8080')
    expect(body.method).toBe('PATCH')
    expect(body.proto).toBe('HTTP/1.1')
    expect(body.namespace).toBe('gateway-conformance-web-backend')
    expect(body.pod).toMatch(/^web-backend-[0-9a-f]+-[0-9a-f]+$/)
    expect(body.pod).toBe(echo.pods.get(WEB))
    expect(body.headers['X-Multi']).toEqual(['one', 'two'])
    expect(body.headers.Host).toBeUndefined()
  })

  it('Should set the response headers X-Echo-Set-Header asks for', async () => {
    const r = await send(V1, '/', { 'X-Echo-Set-Header': 'Some-Other-Header:val,X-Header-Add:a,x-header-add:b, Spaced : v ' })
    expect(r.headers['some-other-header']).toBe('val')
    expect(r.headers['x-header-add']).toBe('a,b')
    expect(r.headers['spaced']).toBe('v')
  })

  it('Should delay by ?delay=<Go duration>', async () => {
    const t0 = Date.now()
    const r = await send(V1, '/slow?delay=300ms')
    expect(r.status).toBe(200)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    expect((await send(V1, '/bad?delay=soon')).status).toBe(400)
  })

  it('Should fail the first succeedAfter /retry/ calls per uuid with responseCode, then echo', async () => {
    const path = '/retry/x?responseCode=503&succeedAfter=2&uuid=u-1'
    expect((await send(V1, path)).status).toBe(503)
    expect((await send(V1, path)).status).toBe(503)
    expect((await send(V1, '/retry/x?responseCode=503&succeedAfter=2&uuid=u-2')).status).toBe(503)
    const ok = await send(V1, path)
    expect(ok.status).toBe(200)
    expect((JSON.parse(ok.body) as EchoBody).path).toBe(path)
  })

  it('Should reset the connection on a failing /retry/ call without responseCode, after delayRetry', async () => {
    const path = '/retry/reset?succeedAfter=1&delayRetry=100ms&uuid=u-3'
    const t0 = Date.now()
    await expect(send(V1, path)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90)
    expect((await send(V1, path)).status).toBe(200)
  })

  it('Should record every request and let a test wait for one', async () => {
    const mark = echo.requests.mark()
    const later = echo.requests.waitFor((r) => r.service === 'web-backend' && r.path === '/mirror?id=7', { since: mark, timeoutMs: 2000 })
    await send(V1, '/mirror?id=7')
    await send(WEB, '/mirror?id=7', { 'X-Id': '7' })
    const hit = await later
    expect(hit).toMatchObject({ namespace: 'gateway-conformance-web-backend', service: 'web-backend', method: 'GET', path: '/mirror?id=7' })
    expect(hit!.headers['X-Id']).toEqual(['7'])
    expect(echo.requests.since(mark).map((r) => r.service)).toEqual(['infra-backend-v1', 'web-backend'])
    expect(await echo.requests.waitFor((r) => r.path === '/never', { since: mark, timeoutMs: 50 })).toBeUndefined()
    const settled = await echo.requests.settle((r) => r.path === '/mirror?id=7', { since: mark, quietMs: 50 })
    expect(settled).toHaveLength(2)
  })
})

describe('echo helpers', () => {
  it('Should parse Go durations', () => {
    expect(parseGoDuration('1s')).toBe(1000)
    expect(parseGoDuration('500ms')).toBe(500)
    expect(parseGoDuration('1.5s')).toBe(1500)
    expect(parseGoDuration('1m30s')).toBe(90_000)
    expect(parseGoDuration('0')).toBe(0)
    expect(parseGoDuration('100us')).toBeCloseTo(0.1)
    expect(() => parseGoDuration('10')).toThrow(/invalid duration/)
    expect(() => parseGoDuration('')).toThrow(/invalid duration/)
  })

  it('Should canonicalize header names as Go does', () => {
    expect(canonicalHeaderName('x-header-set')).toBe('X-Header-Set')
    expect(canonicalHeaderName('x-Mixedcase-ADD-1')).toBe('X-Mixedcase-Add-1')
  })
})
