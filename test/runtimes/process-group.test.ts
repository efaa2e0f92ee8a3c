/**
 * `weft gateway --runtime bun|deno` is a Node parent and a bun/deno child. SIGTERM to
 * the parent's PID stops both (the parent forwards it, the child drains and exits); a
 * SIGKILL to the process group (test/support/processes.ts `kill`) ends both at once,
 * where a SIGKILL to the parent alone would leave the child serving.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, WEFT_BIN } from '../support/gateway-runner.js'
import { kill, servingPid, spawnGroup, untrack } from '../support/processes.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const dir = mkdtempSync(join(tmpdir(), 'weft-pgroup-'))
const started: ChildProcess[] = []

afterAll(() => {
  for (const p of started) {
    kill(p, 'SIGKILL')
    untrack(p)
  }
  rmSync(dir, { recursive: true, force: true })
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    // A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (alive(pid)) {
    if (Date.now() > until) return false
    await sleep(25)
  }
  return true
}

/** A `weft gateway --runtime R` from a one-listener config; resolves once admin /ready is 200, with the parent and the child PIDs. */
async function startGateway(runtime: 'bun' | 'deno'): Promise<{ proc: ChildProcess; parent: number; child: number; port: number }> {
  const port = await freePort()
  const admin = await freePort()
  const config = join(dir, `${runtime}.yaml`)
  writeFileSync(config, `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: edge, namespace: default }\nspec:\n  gatewayClassName: weft\n  listeners: [{ name: http, port: ${port}, protocol: HTTP }]\n`)
  const proc = spawnGroup(process.execPath, [WEFT_BIN, 'gateway', '--config', config, '--gateway', 'default/edge', '--address', '127.0.0.1', '--admin', `127.0.0.1:${admin}`, '--runtime', runtime], { stdio: 'ignore' })
  started.push(proc)
  const until = Date.now() + 30_000
  while ((await fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error(`weft gateway --runtime ${runtime} not ready within 30 s`)
    await sleep(50)
  }
  const child = servingPid(proc.pid!)
  expect(child, 'the re-executed child').not.toBe(proc.pid)
  return { proc, parent: proc.pid!, child, port }
}

describe('weft gateway --runtime: the Node parent and its runtime child', () => {
  for (const runtime of ['bun', 'deno'] as const) {
    it(`${runtime}: SIGTERM to the parent's PID stops the child too (forwarded), and the listener is released`, async () => {
      const g = await startGateway(runtime)
      process.kill(g.parent, 'SIGTERM')
      expect(await gone(g.child, 15_000)).toBe(true)
      expect(await gone(g.parent, 5000)).toBe(true)
      await expect(fetch(`http://127.0.0.1:${g.port}/`)).rejects.toThrow()
    }, 60_000)

    it(`${runtime}: SIGKILL to the process group ends the child as well as the parent`, async () => {
      const g = await startGateway(runtime)
      kill(g.proc, 'SIGKILL')
      expect(await gone(g.child, 5000)).toBe(true)
      expect(await gone(g.parent, 5000)).toBe(true)
    }, 60_000)
  }

  it('bun: SIGKILL to the parent alone leaves the child serving (why the tests kill by group)', async () => {
    const g = await startGateway('bun')
    process.kill(g.parent, 'SIGKILL')
    expect(await gone(g.parent, 5000)).toBe(true)
    await sleep(300)
    expect(alive(g.child)).toBe(true)
    expect((await fetch(`http://127.0.0.1:${g.port}/`)).status).toBe(404)
    kill(g.proc, 'SIGKILL') // the group outlives its leader
    expect(await gone(g.child, 5000)).toBe(true)
  }, 60_000)
})
