/**
 * `weft control` options: the admin token from WEFT_ADMIN_TOKEN (no admin-token file
 * written), `--bundle-lifetime`, and a usage error for a bad `--listen`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { startControlProcess, weft, type ControlProcess } from './control-process.js'

const dir = mkdtempSync(join(tmpdir(), 'weft-control-options-'))
let control: ControlProcess | undefined
afterAll(async () => {
  await control?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('weft control options', () => {
  it('Should take the admin token from WEFT_ADMIN_TOKEN and sign bundles for --bundle-lifetime seconds', async () => {
    const data = join(dir, 'data')
    control = await startControlProcess(data, ['--bundle-lifetime', '120'], { WEFT_ADMIN_TOKEN: 'env-token-123' })
    expect(control.output()).toMatch(/admin token\s+WEFT_ADMIN_TOKEN/)
    expect(existsSync(join(data, 'admin-token'))).toBe(false)
    expect((await control.api('GET', '/v1/config', undefined, { token: 'env-token-123' })).status).toBe(200)
    const p = decodeJwt(await (await control.api('GET', '/v1/bundles/gateway.default.edge')).text())
    expect((p.expiresAt as number) - (p.issuedAt as number)).toBe(120)
    const r = weft(['status', '--control', control.url], { WEFT_ADMIN_TOKEN: 'env-token-123' })
    expect(r.code).toBe(0)
  })

  it('Should exit 2 on a bad --listen or --bundle-lifetime, or a missing --data', () => {
    expect(weft(['control', '--data', join(dir, 'x'), '--listen', 'nope']).code).toBe(2)
    expect(weft(['control', '--data', join(dir, 'x'), '--bundle-lifetime', '5']).code).toBe(2)
    expect(weft(['control']).code).toBe(2)
  })
})
