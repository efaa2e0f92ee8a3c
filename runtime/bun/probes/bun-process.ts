/**
 * @module
 * Node-side helpers for the runtime/bun tests: start a real `bun` process (the one
 * installed in node_modules/.bin) on a probe script (test/support/runtime-probe.ts:
 * the JSON lines it prints, stopped by PID), or `bin/weft.js` (WEFT).
 *
 * @example
 * const p = await startBun('serve-probe.ts', { origin: 3000 })
 * await fetch(`http://127.0.0.1:${p.port}/view`)
 * await p.stop()
 */
import { fileURLToPath } from 'node:url'
import { ROOT, rssOf, startProbe, type ProbeProcess } from '../../../test/support/runtime-probe.js'

export const BUN = `${ROOT}node_modules/.bin/bun`
export const WEFT = `${ROOT}bin/weft.js`

export type BunProcess = ProbeProcess

/** Run `bun probes/SCRIPT` with WEFT_PROBE=JSON(config) and wait for its `{"port":N}` line. */
export function startBun(script: string, config: unknown, timeoutMs = 15_000): Promise<BunProcess> {
  return startProbe({ name: `bun ${script}`, command: BUN, args: [fileURLToPath(new URL(script, import.meta.url))], config, timeoutMs, stopMs: 5_000 })
}

/** Peak resident memory (VmHWM) of a process, in MiB, from /proc. */
export function peakRssMb(pid: number): number {
  const { hwm } = rssOf(pid)
  if (Number.isNaN(hwm)) throw new Error(`no VmHWM for pid ${pid}`)
  return hwm / (1024 * 1024)
}
