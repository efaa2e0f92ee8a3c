import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyConfigSet } from '../config/load.js'
import { startFakeControl, signWith, type FakeControl } from '../../test/fakes/fake-control.js'
import { bundleVerifier } from './verify.js'

const scope = 'gateway.default.edge'
let cp: FakeControl
beforeAll(async () => {
  cp = await startFakeControl({ scope, config: emptyConfigSet(), version: 5 })
})
afterAll(() => cp.close())

const verifier = () => bundleVerifier({ jwks: cp.jwks(), scope })
const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code?: string }) => e.code ?? String(e))

describe('verifyBundle', () => {
  it('Should accept a good bundle and brand it', async () => {
    const r = await verifier().verify(await cp.sign())
    expect(r.kind).toBe('newer')
    expect(r.bundle.version).toBe(5)
    expect(r.bundle.scope).toBe(scope)
  })

  it('Should call an equal version unchanged and refuse a lower one as a rollback', async () => {
    const jws = await cp.sign()
    expect((await verifier().verify(jws, { activeVersion: 5 })).kind).toBe('unchanged')
    expect(await codeOf(verifier().verify(jws, { activeVersion: 6 }))).toBe('ERR_BUNDLE_ROLLBACK')
  })

  it('Should refuse a tampered payload', async () => {
    const [h, , s] = (await cp.sign()).split('.')
    const p = Buffer.from(JSON.stringify({ version: 99 })).toString('base64url')
    expect(await codeOf(verifier().verify(`${h}.${p}.${s}`))).toBe('ERR_BUNDLE_SIGNATURE')
  })

  it('Should refuse a stripped signature and alg none', async () => {
    const [h, p] = (await cp.sign()).split('.')
    expect(await codeOf(verifier().verify(`${h}.${p}.`))).toBe('ERR_BUNDLE_SIGNATURE')
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'trusted-1', typ: 'weft-bundle' })).toString('base64url')
    expect(await codeOf(verifier().verify(`${none}.${p}.`))).toBe('ERR_BUNDLE_SIGNATURE')
  })

  it('Should refuse a key that is not trusted, by kid or by signature', async () => {
    const payload = { version: 6, issuedAt: 0, expiresAt: Date.now() / 1000 + 60, scope, kid: 'stranger', config: emptyConfigSet() }
    expect(await codeOf(verifier().verify(await signWith(cp.stranger, payload)))).toBe('ERR_BUNDLE_KEY')
    cp.mode = 'other-key'
    const res = await fetch(`${cp.url}/v1/bundles/${scope}`)
    cp.mode = 'good'
    expect(await codeOf(verifier().verify(await res.text()))).toBe('ERR_BUNDLE_SIGNATURE')
  })

  it('Should refuse the wrong typ, another scope, an expired bundle and a bad shape', async () => {
    expect(await codeOf(verifier().verify(await cp.sign({}, { typ: 'JWT' })))).toBe('ERR_BUNDLE_SIGNATURE')
    expect(await codeOf(verifier().verify(await cp.sign({ scope: 'gateway.default.other' })))).toBe('ERR_BUNDLE_SCOPE')
    const expired = await cp.sign({ expiresAt: Math.floor(Date.now() / 1000) - 10 })
    expect(await codeOf(verifier().verify(expired))).toBe('ERR_BUNDLE_EXPIRED')
    const allowed = await verifier().verify(expired, { allowExpired: true })
    expect(allowed.kind === 'newer' && allowed.expired).toBe(true)
    expect(await codeOf(verifier().verify(await cp.sign({ version: 'seven' as unknown as number })))).toBe('ERR_BUNDLE_SCHEMA')
    expect(await codeOf(verifier().verify(await cp.sign({ config: { gateways: 1 } as never })))).toBe('ERR_BUNDLE_SCHEMA')
  })

  it("Should let a sidecar activate its namespace's shared bundle (sidecar.NS.*), and nothing wider", async () => {
    const sidecar = (s: string) => bundleVerifier({ jwks: cp.jwks(), scope: s })
    expect((await sidecar('sidecar.default.api').verify(await cp.sign({ scope: 'sidecar.default.*' }))).kind).toBe('newer')
    expect(await codeOf(sidecar('sidecar.default.api').verify(await cp.sign({ scope: 'sidecar.other.*' })))).toBe('ERR_BUNDLE_SCOPE')
    expect(await codeOf(sidecar('sidecar.default.api').verify(await cp.sign({ scope: 'sidecar.default.web' })))).toBe('ERR_BUNDLE_SCOPE')
    // A gateway never takes a sidecar bundle, shared or not.
    expect(await codeOf(verifier().verify(await cp.sign({ scope: 'sidecar.default.*' })))).toBe('ERR_BUNDLE_SCOPE')
    expect(await codeOf(verifier().verify(await cp.sign({ scope: 'gateway.default.*' })))).toBe('ERR_BUNDLE_SCOPE')
  })

  it('Should refuse a payload kid that differs from the header kid', async () => {
    expect(await codeOf(verifier().verify(await cp.sign({ kid: 'other' })))).toBe('ERR_BUNDLE_SCHEMA')
  })
})
