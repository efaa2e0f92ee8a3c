/**
 * The Control API against a real `weft control` process: apply, rejection with every
 * error and nothing applied, dry-run diff, delete, 401/403 bodies, ETag/304,
 * long-poll, signed bundles that verify with the JWKS and hold only their scope's
 * resources, status reports, history and metrics.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BundlePayload } from '../../core/bundle/format.js'
import { gateway, route, service, startControlProcess, type ControlProcess } from './control-process.js'

let control: ControlProcess
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-control-api-'))
  control = await startControlProcess(join(dir, 'data'))
})
afterAll(async () => {
  await control?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function json(res: Response | Promise<Response>): Promise<{ status: number; body: any }> {
  const r = await res
  return { status: r.status, body: await r.json() }
}

async function currentVersion(): Promise<number> {
  return (await json(control.api('GET', '/v1/config'))).body.version
}

async function verify(jws: string): Promise<BundlePayload> {
  const jwks = JSON.parse(readFileSync(join(control.dir, 'jwks.json'), 'utf8')) as JSONWebKeySet
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] })
  expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'weft-bundle', kid: jwks.keys[0]!.kid })
  return JSON.parse(new TextDecoder().decode(payload)) as BundlePayload
}

describe('weft control API', () => {
  it('Should serve an empty config at version 1 before anything is applied, and the same JWKS as DIR/jwks.json', async () => {
    const res = await control.api('GET', '/v1/bundles/sidecar.default.nobody')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/jose')
    const payload = await verify(await res.text())
    expect(payload.version).toBeGreaterThanOrEqual(1)
    const served = await json(fetch(`${control.url}/.well-known/jwks.json`))
    expect(served.body).toEqual(JSON.parse(readFileSync(join(control.dir, 'jwks.json'), 'utf8')))
    expect((await json(fetch(`${control.url}/healthz`))).body.ok).toBe(true)
  })

  it('Should apply resources, bump the version and list them', async () => {
    const before = await currentVersion()
    const r = await json(control.api('POST', '/v1/config', { resources: [gateway('edge'), route('web', 'edge', [{ name: 'web' }]), service('web')] }))
    expect(r.status).toBe(200)
    expect(r.body.version).toBe(before + 1)
    const cfg = await json(control.api('GET', '/v1/config'))
    expect(cfg.body.version).toBe(before + 1)
    expect(cfg.body.resources.map((x: any) => `${x.kind} ${x.metadata.name}`).sort()).toEqual(['Gateway edge', 'HTTPRoute web', 'Service web'])
    const hist = await json(control.api('GET', '/v1/config/versions'))
    expect(hist.body.versions.at(-1)).toMatchObject({ version: before + 1, action: 'apply', added: expect.arrayContaining(['Service default/web']) })
  })

  it('Should accept YAML text', async () => {
    const yaml = `apiVersion: weft.dev/v1alpha1\nkind: Service\nmetadata: { name: yaml-svc }\nspec: { ports: [{ port: 80 }] }\n`
    const r = await json(control.api('POST', '/v1/config', yaml, { headers: { 'content-type': 'application/yaml' } }))
    expect(r.status).toBe(200)
  })

  it('Should reject a bad change with every error and apply nothing', async () => {
    const before = await json(control.api('GET', '/v1/config'))
    const bad1 = { ...service('ok-one') }
    const bad2 = { ...service('bad-port'), spec: { ports: [{ port: 'eighty' }] } }
    const bad3 = { ...route('bad-weight', 'edge', [{ name: 'web', weight: -5 }]) }
    const r = await json(control.api('POST', '/v1/config', { resources: [bad1, bad2, bad3] }))
    expect(r.status).toBe(400)
    expect(r.body.errors).toHaveLength(2)
    expect(r.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resource: 'Service default/bad-port', path: '[1].spec.ports[0].port', message: expect.any(String) }),
        expect.objectContaining({ resource: 'HTTPRoute default/bad-weight', path: expect.stringContaining('weight') }),
      ]),
    )
    const after = await json(control.api('GET', '/v1/config'))
    expect(after.body).toEqual(before.body)
  })

  it('Should show the diff of a dry run without applying it', async () => {
    const v = await currentVersion()
    const r = await json(control.api('POST', '/v1/config?dryRun=true', { resources: [service('web', 'default', 4000), service('new-one')] }))
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ dryRun: true, changed: true, diff: { added: ['Service default/new-one'], changed: ['Service default/web'], removed: [] } })
    expect(await currentVersion()).toBe(v)
  })

  it('Should delete by kind, namespace and name, and 404 (nothing removed) when one is absent', async () => {
    await control.api('POST', '/v1/config', { resources: [service('doomed'), service('doomed2')] })
    const v = await currentVersion()
    const missing = await json(control.api('DELETE', '/v1/config', { resources: [{ kind: 'Service', namespace: 'default', name: 'doomed' }, { kind: 'Service', name: 'nope' }] }))
    expect(missing.status).toBe(404)
    expect(missing.body.errors[0].message).toMatch(/Service default\/nope does not exist/)
    expect(await currentVersion()).toBe(v)
    const ok = await json(control.api('POST', '/v1/config/delete', { resources: [{ kind: 'Service', namespace: 'default', name: 'doomed' }, { kind: 'Service', name: 'doomed2' }] }))
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ version: v + 1, diff: { removed: ['Service default/doomed', 'Service default/doomed2'] } })
  })

  it('Should answer 401 with how to get a token, and 403 when a proxy token asks for another scope or an admin endpoint', async () => {
    const none = await json(control.api('GET', '/v1/config', undefined, { token: null }))
    expect(none.status).toBe(401)
    expect(none.body).toMatchObject({ error: 'token missing', message: expect.stringMatching(/admin-token.*weft token create/s) })
    const bad = await json(control.api('POST', '/v1/config', { resources: [] }, { token: 'not-a-token' }))
    expect(bad.status).toBe(401)
    expect(bad.body.error).toBe('token invalid')
    const tok = await json(control.api('POST', '/v1/tokens', { service: 'web' }))
    expect(tok.body.scope).toBe('sidecar.default.web')
    const own = await control.api('GET', '/v1/bundles/sidecar.default.web', undefined, { token: tok.body.token })
    expect(own.status).toBe(200)
    const other = await json(control.api('GET', '/v1/bundles/gateway.default.edge', undefined, { token: tok.body.token }))
    expect(other.status).toBe(403)
    expect(other.body.message).toMatch(/sidecar\.default\.web, not gateway\.default\.edge/)
    const write = await json(control.api('POST', '/v1/config', { resources: [] }, { token: tok.body.token }))
    expect(write.status).toBe(403)
    const badScope = await json(control.api('GET', '/v1/bundles/whatever'))
    expect(badScope.status).toBe(400)
  })

  it("Should serve every sidecar of a namespace one bundle signed for sidecar.NS.*, and another namespace its own", async () => {
    const payloadOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { scope: string }
    const web = await (await control.api('GET', '/v1/bundles/sidecar.default.web')).text()
    const api = await (await control.api('GET', '/v1/bundles/sidecar.default.api')).text()
    const other = await (await control.api('GET', '/v1/bundles/sidecar.shop.cart')).text()
    expect(api).toBe(web)
    expect(payloadOf(web).scope).toBe('sidecar.default.*')
    expect(payloadOf(other).scope).toBe('sidecar.shop.*')
    expect(other).not.toBe(web)
    // The shared scope is what bundles are signed for, not a proxy: nobody polls it.
    expect((await control.api('GET', '/v1/bundles/sidecar.default.*')).status).toBe(400)
  })

  it('Should send a large bundle gzip-compressed to a client that accepts gzip, the same JWS once decompressed', async () => {
    await control.api('POST', '/v1/config', { resources: Array.from({ length: 40 }, (_, i) => service(`gz-${i}`, 'default', 4000 + i)) })
    const raw = (encoding: string | undefined) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const headers: Record<string, string> = { authorization: `Bearer ${control.adminToken}` }
        if (encoding) headers['accept-encoding'] = encoding
        httpGet(`${control.url}/v1/bundles/sidecar.default.web`, { headers }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
        }).on('error', reject)
      })
    const plain = await raw(undefined)
    expect(plain.headers['content-encoding']).toBeUndefined()
    const zipped = await raw('gzip, deflate, br')
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toBe('accept-encoding')
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3)
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString())
    expect((await raw('gzip;q=0')).headers['content-encoding']).toBeUndefined()
    // What a proxy's poll does: fetch decompresses by itself and the JWS verifies.
    expect((await verify(await (await control.api('GET', '/v1/bundles/sidecar.default.web')).text())).scope).toBe('sidecar.default.*')
  })

  it('Should answer If-None-Match with 304 and a new version with 200', async () => {
    const first = await control.api('GET', '/v1/bundles/gateway.default.edge')
    const etag = first.headers.get('etag')!
    expect(etag).toBe(`"${await currentVersion()}"`)
    const again = await control.api('GET', '/v1/bundles/gateway.default.edge', undefined, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    await control.api('POST', '/v1/config', { resources: [service('web', 'default', 3001)] })
    const changed = await control.api('GET', '/v1/bundles/gateway.default.edge', undefined, { headers: { 'if-none-match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
  })

  it('Should return a long-poll within ~100 ms of an apply', async () => {
    const v = await currentVersion()
    const started = Date.now()
    const poll = control.api('GET', '/v1/bundles/gateway.default.edge?wait=30', undefined, { headers: { 'if-none-match': `"${v}"` } })
    await new Promise((r) => setTimeout(r, 300))
    const applyAt = Date.now()
    await control.api('POST', '/v1/config', { resources: [service('web', 'default', 3002)] })
    const res = await poll
    const done = Date.now()
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe(`"${v + 1}"`)
    expect(done - started).toBeGreaterThanOrEqual(300)
    expect(done - applyAt).toBeLessThan(150)
    expect((await verify(await res.text())).version).toBe(v + 1)
  })

  it('Should time a long-poll out with 304 when nothing changes', async () => {
    const v = await currentVersion()
    const started = Date.now()
    const res = await control.api('GET', '/v1/bundles/gateway.default.edge?wait=1', undefined, { headers: { 'if-none-match': `"${v}"` } })
    expect(res.status).toBe(304)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    const metrics = await (await fetch(`${control.url}/metrics`)).text()
    expect(metrics).toMatch(/weft_control_longpolls_waiting 0/)
    expect(metrics).toMatch(/weft_control_bundles_not_modified_total\{kind="gateway"\} [1-9]/)
  })

  it("Should sign a bundle that verifies, with its scope, version, expiry and only its scope's resources", async () => {
    await control.api('POST', '/v1/config', { resources: [gateway('other'), route('other', 'other', [{ name: 'other-svc' }]), service('other-svc')] })
    const v = await currentVersion()
    const res = await control.api('GET', '/v1/bundles/gateway.default.edge')
    const jws = await res.text()
    expect(decodeProtectedHeader(jws).typ).toBe('weft-bundle')
    const p = await verify(jws)
    const now = Date.now() / 1000
    expect(p).toMatchObject({ version: v, scope: 'gateway.default.edge' })
    expect(p.issuedAt).toBeLessThanOrEqual(now + 1)
    expect(p.expiresAt - p.issuedAt).toBe(24 * 3600)
    expect(p.config.gateways.map((g) => g.metadata.name)).toEqual(['edge'])
    expect(p.config.httpRoutes.map((r) => r.metadata.name)).toEqual(['web'])
    expect(p.config.services.map((s) => s.metadata.name)).toEqual(['web'])
    const tampered = jws.replace(/\.([^.]+)\./, (_m, body: string) => `.${body.slice(0, -4)}AAAA.`)
    await expect(verify(tampered)).rejects.toThrow()
  })

  it('Should keep the last status report per instance and say whether it is in sync', async () => {
    const v = await currentVersion()
    const tok = (await json(control.api('POST', '/v1/tokens', { gateway: 'default/edge' }))).body.token
    expect((await control.api('POST', '/v1/proxies/gateway.default.edge/status', { instance: 'gw-1', version: v }, { token: tok })).status).toBe(200)
    await control.api('POST', '/v1/proxies/gateway.default.edge/status', { instance: 'gw-2', version: v - 1, lastError: 'signature', lastErrorCode: 'ERR_BUNDLE_SIGNATURE' }, { token: tok })
    const bad = await json(control.api('POST', '/v1/proxies/gateway.default.edge/status', { version: 'x' }, { token: tok }))
    expect(bad.status).toBe(400)
    const forbidden = await control.api('POST', '/v1/proxies/sidecar.default.web/status', { instance: 'x', version: v }, { token: tok })
    expect(forbidden.status).toBe(403)
    const list = await json(control.api('GET', '/v1/proxies'))
    expect(list.body.proxies).toEqual([
      expect.objectContaining({ proxy: 'gateway.default.edge', instance: 'gw-1', version: v, inSync: true }),
      expect.objectContaining({ proxy: 'gateway.default.edge', instance: 'gw-2', version: v - 1, inSync: false, lastErrorCode: 'ERR_BUNDLE_SIGNATURE' }),
    ])
  })

  it('Should count applies, rejections and bundles in /metrics', async () => {
    const text = await (await fetch(`${control.url}/metrics`)).text()
    expect(text).toMatch(/weft_control_config_version \d+/)
    expect(text).toMatch(/weft_control_applies_total\{action="apply"\} [1-9]/)
    expect(text).toMatch(/weft_control_applies_rejected_total\{action="apply"\} [1-9]/)
    expect(text).toMatch(/weft_control_bundles_served_total\{kind="gateway"\} [1-9]/)
  })
})
