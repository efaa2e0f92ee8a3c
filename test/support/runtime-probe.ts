/**
 * @module
 * Node-side helper for the runtime/bun and runtime/deno tests: start a probe script
 * under a real runtime binary (node_modules/.bin/bun or deno; runtime/bun/probes/bun-process.ts
 * and runtime/deno/probes/deno-process.ts say how each is run), configured through the
 * WEFT_PROBE environment variable (JSON). The probe prints one JSON line when ready
 * (`{"port":N}`, or another key); every JSON line it prints on stdout is kept
 * (`lines`, `waitFor`), all its output too (`output`, `waitForText`). Stopped by PID:
 * SIGTERM, then SIGKILL after a bound. Every process is tracked
 * (test/support/processes.ts), so none outlives the test worker.
 *
 * @example
 * const p = await startProbe({ name: 'bun', command: BUN, args: [file], config: { origin: 3000 } })
 * await fetch(`http://127.0.0.1:${p.port}/view`)
 * await p.stop()
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { track, untrack } from './processes.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ProbeSpec {
  /** For messages: the runtime and the script ("bun serve-probe.ts"). */
  name: string
  command: string
  args: string[]
  /** Passed as WEFT_PROBE (JSON). */
  config: unknown
  /** More environment variables for the process. */
  env?: Record<string, string>
  /** The key of the JSON line that says the probe is ready. Default 'port'. */
  readyKey?: string
  /** Default bound for the ready line and for `waitFor` / `waitForText` (ms). */
  timeoutMs: number
  /** Default bound for `stop` before SIGKILL (ms). */
  stopMs: number
}

export interface ProbeProcess {
  pid: number
  /** The `port` of the ready line (0 if it had none). */
  port: number
  /** Every JSON line printed on stdout so far, in order. */
  lines: Array<Record<string, unknown>>
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the first printed JSON line that has `key`, within `ms`. */
  waitFor<T = Record<string, unknown>>(key: string, ms?: number): Promise<T>
  /** Resolves once the output contains `text`, within `ms`. */
  waitForText(text: string, ms?: number): Promise<void>
  /** Resolves when the process has exited and its output was read to the end. */
  exited: Promise<{ code: number | null; signal: string | null }>
  /** SIGTERM, wait for exit (SIGKILL after `ms`); resolves with the exit code. */
  stop(ms?: number): Promise<number | null>
}

export async function startProbe(spec: ProbeSpec): Promise<ProbeProcess> {
  const child = spawn(spec.command, spec.args, {
    cwd: ROOT,
    env: { ...process.env, ...spec.env, WEFT_PROBE: JSON.stringify(spec.config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  child.once('exit', () => untrack(child))
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
      if (!line.startsWith('{')) continue
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // not ours
      }
    }
    for (const f of onLine) f()
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  // 'close', not 'exit': by then stdout and stderr are read to the end (a crash message included).
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  const gone = () => child.exitCode !== null || child.signalCode !== null

  const waitFor = <T = Record<string, unknown>>(key: string, ms = spec.timeoutMs) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => key in l)
        if (!hit) return false
        cleanup()
        resolve(hit as T)
        return true
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${spec.name}: no "${key}" within ${ms} ms; output:\n${out}`))
      }, ms)
      const closed = () => {
        if (check()) return
        cleanup()
        reject(new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before printing "${key}"; output:\n${out}`))
      }
      const cleanup = () => {
        clearTimeout(timer)
        onLine.delete(check)
        child.off('close', closed)
      }
      onLine.add(check)
      child.once('close', closed)
      check()
    })

  const waitForText = async (text: string, ms = spec.timeoutMs): Promise<void> => {
    const until = Date.now() + ms
    while (!out.includes(text)) {
      if (Date.now() > until) throw new Error(`${spec.name}: printed no "${text}" within ${ms} ms; output:\n${out}`)
      await new Promise((ok) => setTimeout(ok, 20))
    }
  }

  const stop = async (ms = spec.stopMs): Promise<number | null> => {
    if (!gone()) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), ms)
      await exited
      clearTimeout(t)
    }
    return child.exitCode
  }

  let ready: Record<string, unknown>
  try {
    ready = await waitFor(spec.readyKey ?? 'port')
  } catch (err) {
    await stop(100)
    throw err
  }
  return { pid: child.pid!, port: Number(ready.port ?? 0), lines, output: () => out, waitFor, waitForText, exited, stop }
}

/** The resident set size and its high-water mark of a process, in bytes, from /proc. */
export function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}
