/**
 * `npm run dev:worker` as a new user runs it: without `weft dev` it says so and how to
 * start it; with `weft dev` running (in "another terminal": its own process) it brings
 * the gateway Worker up under Miniflare, prints its URL, a curl through it reaches web
 * (and web's call to api), an apply reaches the Worker, and Ctrl-C stops it with its
 * workerd process.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../support/gateway-runner.js'
import { track, untrack } from '../support/processes.js'
import { eventually } from './helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin/weft.js')
const DEV_WORKER = join(ROOT, 'scripts/dev-worker.mjs')
const dir = mkdtempSync(join(tmpdir(), 'weft-dev-worker-'))
const started: ChildProcess[] = []

function start(args: string[]): { p: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_CONTROL_URL: '', WEFT_ADMIN_TOKEN: '' } })
  track(p)
  started.push(p)
  let out = ''
  p.stdout!.on('data', (d) => (out += d))
  p.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((ok) => p.once('exit', (code) => (untrack(p), ok(code))))
  return { p, out: () => out, exited }
}

async function waitForText(proc: ReturnType<typeof start>, text: string, ms: number): Promise<void> {
  const until = Date.now() + ms
  while (!proc.out().includes(text)) {
    if (proc.p.exitCode !== null || Date.now() > until) throw new Error(`no "${text}" within ${ms} ms:\n${proc.out()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function children(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim()
  return out ? out.split('\n').map(Number) : []
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null && p.pid) process.kill(p.pid, 'SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('npm run dev:worker', () => {
  it('without weft dev running: exits 1 and says how to start it', async () => {
    const w = start([DEV_WORKER, '--control', `http://127.0.0.1:${await freePort()}`, '--dir', join(dir, 'nothing')])
    expect(await w.exited).toBe(1)
    expect(w.out()).toMatch(/weft dev is not running: no control plane answers at http:\/\/127\.0\.0\.1:\d+/)
    expect(w.out()).toMatch(/npm start/)
  })

  it('[cap workerd serve] with weft dev running: serves the dev Gateway through the Worker, follows an apply, and Ctrl-C stops it and workerd', async () => {
    const [port, controlPort] = [await freePort(), await freePort()]
    const devDir = join(dir, '.weft', 'dev')
    const dev = start([BIN, 'dev', '--dir', devDir, '--port', String(port), '--control-port', String(controlPort)])
    await waitForText(dev, 'Weft dev is running', 60_000)

    const w = start([DEV_WORKER, '--control', `http://127.0.0.1:${controlPort}`, '--dir', devDir, '--port', '0'])
    await waitForText(w, 'Ctrl-C stops it', 30_000)
    const url = /gateway Worker\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(w.out())![1]!
    const first = (await (await fetch(`${url}/`)).json()) as { service: string; api: { service: string } }
    expect(first.service).toBe('web')
    expect(['api-v1', 'api-v2']).toContain(first.api.service)
    expect(w.out()).toContain(`curl -s ${url}/`)

    const stats = async () => ((await (await fetch(`${url}/__weft/stats`)).json()) as { version: number }).version
    const before = await stats()
    const env = { ...process.env, WEFT_CONTROL_URL: `http://127.0.0.1:${controlPort}`, WEFT_ADMIN_TOKEN: readFileSync(join(devDir, 'control', 'admin-token'), 'utf8').trim() }
    execFileSync(process.execPath, [BIN, 'apply', '-f', join(devDir, 'split-50-50.yaml')], { env })
    // Traffic refreshes the Worker's bundle once it is older than the max-age (2 s).
    await eventually(async () => (await fetch(`${url}/`), await stats()), (v) => v > before, 15_000, 'the Worker runs the applied version')

    const workerd = children(w.p.pid!).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('workerd'))
    expect(workerd.length).toBe(1)
    process.kill(w.p.pid!, 'SIGINT')
    expect(await w.exited).toBe(0)
    expect(workerd.filter(alive)).toEqual([])
    await expect(fetch(`${url}/`)).rejects.toThrow()

    process.kill(dev.p.pid!, 'SIGINT')
    await dev.exited
  }, 120_000)
})
