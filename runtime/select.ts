/**
 * @module
 * Which runtime this process is, and its adapter. Adapters are imported on demand so
 * a Node process never loads Bun's or Deno's code (and the other way round).
 *
 * @example
 * const rt = await loadRuntime(currentRuntime())
 */
import type { Runtime, RuntimeName } from './types.js'

export const RUNTIMES: readonly RuntimeName[] = ['node', 'bun', 'deno']

/** The runtime executing this code. */
export function currentRuntime(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  if (g.Bun !== undefined) return 'bun'
  if (g.Deno !== undefined) return 'deno'
  return 'node'
}

export async function loadRuntime(name: RuntimeName = currentRuntime()): Promise<Runtime> {
  if (name !== currentRuntime()) throw new Error(`cannot load the ${name} adapter in a ${currentRuntime()} process: start weft with --runtime ${name}`)
  switch (name) {
    case 'node':
      return (await import('./node/runtime.js')).nodeRuntime
    // Through a variable: the Node build must not resolve (or type-check against) the others' globals.
    case 'bun':
    case 'deno':
      return ((await import(`./${name}/runtime.js`)) as { runtime: Runtime }).runtime
  }
}
