/**
 * @module
 * Start a probe script under the real `deno` binary (node_modules/.bin/deno) for the
 * runtime/deno tests: `deno run --allow-all --sloppy-imports PROBE` (the sources import
 * `./x.js`, which Deno maps to `./x.ts` with sloppy imports), configured through
 * the WEFT_PROBE environment variable (JSON); the JSON lines it prints, and stopping it
 * by PID, are test/support/runtime-probe.ts's.
 *
 * @example
 * const p = await startDeno('serve-probe.ts', { origin: 8080 })
 * await p.stop()
 */
import { fileURLToPath } from 'node:url'
import { startProbe, type ProbeProcess } from '../../../test/support/runtime-probe.js'

export { rssOf } from '../../../test/support/runtime-probe.js'

export const DENO_BIN = fileURLToPath(new URL('../../../node_modules/.bin/deno', import.meta.url))

export type DenoProcess = ProbeProcess

/** Run PROBE (in this folder) and wait for its JSON line with `readyKey`. */
export function startDeno(probe: string, config: unknown, readyKey = 'port', timeoutMs = 20_000): Promise<DenoProcess> {
  const file = fileURLToPath(new URL(`./${probe}`, import.meta.url))
  return startProbe({
    name: `deno ${probe}`,
    command: DENO_BIN,
    args: ['run', '--allow-all', '--sloppy-imports', '--unstable-no-legacy-abort', file],
    env: { NO_COLOR: '1' },
    config,
    readyKey,
    timeoutMs,
    stopMs: 15_000,
  })
}
