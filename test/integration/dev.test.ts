/**
 * `weft dev` (what `npm start` runs), as a new user would: the mesh comes up, a
 * request through the gateway reaches web and web's call reaches api through the
 * sidecars, `weft apply` changes the split live, and SIGINT stops every process.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../support/gateway-runner.js'

const BIN = new URL('../../bin/weft.js', import.meta.url).pathname
let dev: ChildProcess | undefined

afterAll(() => {
  if (dev?.exitCode === null && dev.pid) process.kill(dev.pid, 'SIGKILL')
})

function children(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim()
  return out ? out.split('\n').map(Number) : []
}

describe('weft dev', () => {
  it('Should bring up the mesh, route through gateway and sidecars, apply a new split, and stop cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-dev-'))
    const [port, controlPort] = [await freePort(), await freePort()]
    dev = spawn(process.execPath, [BIN, 'dev', '--dir', dir, '--port', String(port), '--control-port', String(controlPort)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    dev.stdout!.on('data', (d) => (out += d))
    dev.stderr!.on('data', (d) => (out += d))
    const until = Date.now() + 40_000
    while (!out.includes('Weft dev is running')) {
      if (dev.exitCode !== null || Date.now() > until) throw new Error(`weft dev did not come up:\n${out}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const url = `http://127.0.0.1:${port}/`
    const first = (await (await fetch(url)).json()) as { service: string; api: { service: string } }
    expect(first.service).toBe('web')
    expect(['api-v1', 'api-v2']).toContain(first.api.service)

    const env = { ...process.env, WEFT_CONTROL_URL: `http://127.0.0.1:${controlPort}`, WEFT_ADMIN_TOKEN: readFileSync(join(dir, 'control', 'admin-token'), 'utf8').trim() }
    execFileSync(process.execPath, [BIN, 'apply', '-f', join(dir, 'split-50-50.yaml')], { env })
    await new Promise((r) => setTimeout(r, 500))
    const seen = { 'api-v1': 0, 'api-v2': 0 } as Record<string, number>
    for (let i = 0; i < 60; i++) seen[((await (await fetch(url)).json()) as { api: { service: string } }).api.service]!++
    // 50/50 over 60 calls: each side well away from 0 (P(< 12) is about 1e-6).
    expect(seen['api-v1']).toBeGreaterThan(12)
    expect(seen['api-v2']).toBeGreaterThan(12)
    const status = execFileSync(process.execPath, [BIN, 'status'], { env, encoding: 'utf8' })
    expect(status).toMatch(/4 proxy instance\(s\), 4 in sync/)

    const kids = children(dev.pid!)
    expect(kids.length).toBeGreaterThanOrEqual(7)
    const exited = new Promise((ok) => dev!.once('exit', ok))
    process.kill(dev.pid!, 'SIGINT')
    await exited
    const alive = kids.filter((pid) => { try { process.kill(pid, 0); return true } catch { return false } })
    expect(alive).toEqual([])
  }, 90_000)
})
