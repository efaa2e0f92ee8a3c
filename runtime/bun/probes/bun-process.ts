/**
 * @module
 * Node-side helpers for the runtime/bun tests: start a real `bun` process (the one
 * installed in node_modules/.bin) on a probe script or on `bin/weft.js`, read the
 * JSON lines it prints, and stop it by PID. Every process is tracked
 * (test/support/processes.ts), so none outlives the test worker.
 *
 * @example
 * const p = await startBun('serve-probe.ts', { origin: 3000 })
 * await fetch(`http://127.0.0.1:${p.port}/view`)
 * await p.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { track, untrack } from '../../../test/support/processes.js'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BUN = `${ROOT}node_modules/.bin/bun`
export const WEFT = `${ROOT}bin/weft.js`

export interface BunProcess {
  pid: number
  /** The `port` of the first JSON line the process printed. */
  port: number
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the first printed JSON object that has `key`, within `ms`. */
  waitFor<T = Record<string, unknown>>(key: string, ms?: number): Promise<T>
  /** Resolves once the output contains `text`, within `ms`. */
  waitForText(text: string, ms?: number): Promise<void>
  /** SIGTERM, then SIGKILL after `ms`; resolves once it exited. */
  stop(ms?: number): Promise<void>
}

/** Run `bun probes/SCRIPT` with WEFT_PROBE=JSON(config) and wait for its `{"port":N}` line. */
export async function startBun(script: string, config: unknown, timeoutMs = 15_000): Promise<BunProcess> {
  const child = spawn(BUN, [fileURLToPath(new URL(script, import.meta.url))], {
    cwd: ROOT,
    env: { ...process.env, WEFT_PROBE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return watch(child, timeoutMs)
}

function watch(child: ChildProcess, timeoutMs: number): Promise<BunProcess> {
  track(child)
  let out = ''
  const objects: Record<string, unknown>[] = []
  const waiters: Array<() => void> = []
  const onData = (d: Buffer) => {
    out += d.toString()
    const lines = out.split('\n')
    objects.length = 0
    for (const line of lines) {
      if (!line.startsWith('{')) continue
      try {
        objects.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // a partial line: read again on the next chunk
      }
    }
    for (const w of waiters.splice(0)) w()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  child.once('exit', () => {
    untrack(child)
    for (const w of waiters.splice(0)) w()
  })
  const waitFor = async <T>(key: string, ms = timeoutMs): Promise<T> => {
    const until = Date.now() + ms
    for (;;) {
      const hit = objects.find((o) => key in o)
      if (hit) return hit as T
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`bun exited (${child.exitCode ?? child.signalCode}) before printing "${key}":\n${out}`)
      if (Date.now() > until) throw new Error(`bun printed no "${key}" within ${ms} ms:\n${out}`)
      await new Promise<void>((ok) => {
        waiters.push(ok)
        setTimeout(ok, 100)
      })
    }
  }
  const waitForText = async (text: string, ms = timeoutMs): Promise<void> => {
    const until = Date.now() + ms
    while (!out.includes(text)) {
      if (Date.now() > until) throw new Error(`bun printed no "${text}" within ${ms} ms:\n${out}`)
      await new Promise((ok) => setTimeout(ok, 20))
    }
  }
  const stop = async (ms = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), ms)
    await exited
    clearTimeout(t)
  }
  return waitFor<{ port: number }>('port').then(
    ({ port }) => ({ pid: child.pid!, port, output: () => out, waitFor, waitForText, stop }),
    async (err) => {
      await stop(100)
      throw err
    },
  )
}

/** Peak resident memory (VmHWM) of a process, in MiB, from /proc. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmHWM for pid ${pid}`)
  return Number(m[1]) / 1024
}

/** Current resident memory (VmRSS) of a process, in MiB, from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) / 1024
}
