import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyConfigSet } from '../config/load.js'
import { startFakeControl, type FakeControl } from '../../test/fakes/fake-control.js'
import { backoff, poll } from './poll.js'

const scope = 'gateway.default.edge'
let cp: FakeControl
beforeAll(async () => {
  cp = await startFakeControl({ scope, config: emptyConfigSet(), slowMs: 1500 })
})
afterAll(() => cp.close())
const url = () => `${cp.url}/v1/bundles/${scope}`

describe('poll', () => {
  it('Should fetch, then answer unchanged for the same ETag, sending the token', async () => {
    cp.mode = 'good'
    const r = await poll({ url: url(), token: 'T' })
    expect(r.kind).toBe('fetched')
    if (r.kind !== 'fetched') return
    expect(r.etag).toBe(`"${cp.version}"`)
    expect(cp.requests.at(-1)!.auth).toBe('Bearer T')
    expect((await poll({ url: url(), etag: r.etag })).kind).toBe('unchanged')
  })

  it('Should return a newer version during a long-poll as soon as it is published', async () => {
    const etag = `"${cp.version}"`
    const start = Date.now()
    const pending = poll({ url: url(), etag, waitSeconds: 10 })
    setTimeout(() => cp.publish(), 100)
    const r = await pending
    expect(r.kind).toBe('fetched')
    expect(Date.now() - start).toBeLessThan(1000)
  })

  it('Should fail on a 500, an unreachable server, and a body over the limit', async () => {
    cp.mode = 'error500'
    const r = await poll({ url: url() })
    expect(r.kind === 'failed' && r.error.code).toBe('ERR_BUNDLE_FETCH')
    cp.mode = 'good'
    const small = await poll({ url: url(), maxBytes: 100 })
    expect(small.kind === 'failed' && small.error.code).toBe('ERR_BUNDLE_TOO_LARGE')
    const down = await poll({ url: 'http://127.0.0.1:1/v1/bundles/x' })
    expect(down.kind === 'failed' && down.error.code).toBe('ERR_BUNDLE_FETCH')
  })

  it('Should count bytes while reading when there is no content-length', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(50))
        c.close()
      },
    })
    const fakeFetch = (async () => new Response(body, { status: 200 })) as unknown as typeof fetch
    const r = await poll({ url: url(), maxBytes: 200, fetch: fakeFetch })
    expect(r.kind === 'failed' && r.error.code).toBe('ERR_BUNDLE_TOO_LARGE')
  })

  it('Should give up on a slow answer', async () => {
    cp.mode = 'slow'
    const r = await poll({ url: url(), slackMs: 300 })
    cp.mode = 'good'
    expect(r.kind === 'failed' && r.error.code).toBe('ERR_BUNDLE_FETCH')
  })
})

describe('backoff', () => {
  it('Should grow exponentially up to the cap, with jitter', () => {
    expect(backoff(1, { random: () => 1 })).toBe(250)
    expect(backoff(3, { random: () => 1 })).toBe(1000)
    expect(backoff(3, { random: () => 0 })).toBe(500)
    expect(backoff(30, { random: () => 1 })).toBe(30_000)
  })
})
