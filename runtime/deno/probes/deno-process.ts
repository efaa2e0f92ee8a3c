/**
 * @module
 * Start a probe script under the real `deno` binary (node_modules/.bin/deno) for the
 * runtime/deno tests: `deno run --allow-all --sloppy-imports PROBE` (the sources import
 * `./x.js`, which Deno maps to `./x.ts` with sloppy imports), configured through
 * the WEFT_PROBE environment variable (JSON). The probe prints one JSON line when ready
 * (`{"port":N}`); every later line of JSON is available through `lines`. Stopped by
 * PID: SIGTERM, then SIGKILL after a bound.
 *
 * @example
 * const p = await startDeno('serve-probe.ts', { origin: 8080 })
 * await p.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { track, untrack } from '../../../test/support/processes.js'

export const DENO_BIN = fileURLToPath(new URL('../../../node_modules/.bin/deno', import.meta.url))

export interface DenoProcess {
  pid: number
  /** The port the probe printed (`{"port":N}`), if it printed one. */
  port: number
  /** Every JSON line printed so far, in order. */
  lines: Array<Record<string, unknown>>
  output(): string
  /** Wait for a printed line that has `key`. */
  waitFor(key: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Resolves when the process exits by itself, with its exit code and signal. */
  exited: Promise<{ code: number | null; signal: string | null }>
  /** SIGTERM, wait for exit (SIGKILL after `ms`); resolves with the exit code. */
  stop(ms?: number): Promise<number | null>
}

export async function startDeno(probe: string, config: unknown, readyKey = 'port', timeoutMs = 20_000): Promise<DenoProcess> {
  const file = fileURLToPath(new URL(`./${probe}`, import.meta.url))
  const child: ChildProcess = spawn(DENO_BIN, ['run', '--allow-all', '--sloppy-imports', '--unstable-no-legacy-abort', file], {
    env: { ...process.env, WEFT_PROBE: JSON.stringify(config), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  let out = ''
  let pending = ''
  const lines: Array<Record<string, unknown>> = []
  const onLine = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
    pending += d
    let nl
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      if (line.startsWith('{')) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>)
        } catch {
          // not ours
        }
      }
    }
    for (const f of onLine) f()
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  // 'close', not 'exit': by then stdout and stderr are read to the end (a crash message included).
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  const waitFor = (key: string, ms = timeoutMs) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => key in l)
        if (!hit) return
        cleanup()
        resolve(hit)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`deno ${probe}: no "${key}" within ${ms} ms; output:\n${out}`))
      }, ms)
      const gone = () => {
        cleanup()
        reject(new Error(`deno ${probe} exited before printing "${key}"; output:\n${out}`))
      }
      const cleanup = () => {
        clearTimeout(timer)
        onLine.delete(check)
        child.off('exit', gone)
      }
      onLine.add(check)
      child.once('exit', gone)
      check()
    })
  const ready = await waitFor(readyKey)
  return {
    pid: child.pid!,
    port: Number(ready.port ?? 0),
    lines,
    output: () => out,
    exited,
    waitFor,
    async stop(ms = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), ms)
        await exited
        clearTimeout(t)
      }
      untrack(child)
      return child.exitCode
    },
  }
}

/** The resident set size (bytes) and its high-water mark of a process, from /proc. */
export function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readStatus(pid)
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

function readStatus(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8')
}
