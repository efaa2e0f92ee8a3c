/**
 * @module
 * `--runtime bun|deno`: run the same weft command under another runtime. The CLI
 * (started by Node through bin/weft.js) re-executes itself with that runtime's binary
 * and the same arguments; the child sees `--runtime` equal to the runtime it runs on
 * and serves in-process. Signals are passed on, and the child's exit status becomes
 * this process's.
 *
 * The binary is looked up in `node_modules/.bin` (the `bun` and `deno` npm packages
 * ship it), from this package's folder upwards, then on PATH.
 *
 * @example
 * if (o.runtime !== currentRuntime()) return process.exit(await reexecUnder(o.runtime))
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RUNTIMES, currentRuntime } from '../runtime/select.js'
import type { RuntimeName } from '../runtime/types.js'
import { UsageError } from './host-port.js'

/** The package root (dist/cli/ → two levels up). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The CLI entry the child runs. */
const ENTRY = join(PACKAGE_ROOT, 'bin', 'weft.js')

/** Arguments placed before the entry script, per runtime. */
export const RUNTIME_ARGS: Record<Exclude<RuntimeName, 'node'>, string[]> = {
  bun: ['run'],
  // Deno 2 reads package.json and node_modules (npm dependencies, dist/) by itself.
  // Permissions: listeners and upstreams (net), config/trust/data files and the bundle
  // cache (read, write), WEFT_* variables (env), the host name an instance registers
  // with (sys). Not run or ffi: weft starts no processes under Deno.
  // --unstable-no-legacy-abort: Deno.serve's request.signal aborts only when the client
  // goes away, not also after every successful response (the legacy behaviour, which
  // prints a warning once per process).
  deno: ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--allow-sys', '--unstable-no-legacy-abort'],
}

export function parseRuntime(value: string): RuntimeName {
  if (!(RUNTIMES as string[]).includes(value)) throw new UsageError(`--runtime ${value}: expected one of ${RUNTIMES.join(', ')}`)
  return value as RuntimeName
}

/** Where the runtime's binary is: node_modules/.bin from the package upwards, then PATH. */
export function findRuntimeBinary(name: Exclude<RuntimeName, 'node'>): string | undefined {
  for (let dir = PACKAGE_ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name)
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) break
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/** The command line that runs `weft ARGS` under `name`. */
export function runtimeCommand(name: Exclude<RuntimeName, 'node'>, args: string[]): { file: string; args: string[] } {
  const file = findRuntimeBinary(name)
  if (!file) throw new UsageError(`--runtime ${name}: no ${name} binary found; install it with \`npm install ${name}\` (or put it on PATH)`)
  return { file, args: [...RUNTIME_ARGS[name], ENTRY, ...args] }
}

/**
 * Re-execute this weft command under `name` and resolve with its exit status. `argv`
 * is process.argv; the child gets the same subcommand and flags.
 */
export function reexecUnder(name: RuntimeName, argv: string[]): Promise<number> {
  if (name === currentRuntime()) throw new Error(`already running on ${name}`)
  if (name === 'node') throw new UsageError('--runtime node: start weft with node (bin/weft.js), not from another runtime')
  const cmd = runtimeCommand(name, argv.slice(2))
  const child = spawn(cmd.file, cmd.args, { stdio: 'inherit' })
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig)
  const onInt = forward('SIGINT')
  const onTerm = forward('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return new Promise((resolvePromise, reject) => {
    child.once('error', (err) => reject(new UsageError(`--runtime ${name}: cannot start ${cmd.file}: ${err.message}`)))
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1))
    })
  })
}
