/**
 * Every process a test starts is stopped by the test, by its PID; this is the last
 * guard: whatever is still running when the test worker exits is killed.
 *
 * `weft gateway|proxy --runtime bun|deno` is a Node parent that re-executes weft under
 * bun/deno and forwards SIGTERM/SIGINT to it. SIGKILL cannot be forwarded, so a test
 * that SIGKILLs the parent alone would orphan the child (still holding its ports).
 * Such processes are started in their own process group (`spawnGroup`, `detached: true`)
 * and killed by group (`kill(p, 'SIGKILL')` → `process.kill(-pid)`). SIGTERM still goes
 * to the parent's PID only: the parent forwards it, and a second SIGTERM sent to the
 * child by the group would make it exit at once instead of draining.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

/** Tracked processes; `true` when the process leads its own process group. */
const running = new Map<ChildProcess, boolean>()
function killAll(): void {
  for (const [p, group] of running) {
    if (!p.pid) continue
    // A group may outlive its leader (a re-executed child): kill it whatever the leader's state.
    if (group) signalGroup(p.pid, 'SIGKILL')
    else if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL')
  }
}
process.once('exit', killAll)

/**
 * A process group of its own does not get the terminal's Ctrl-C, and a worker killed by
 * a signal runs no 'exit' handlers: on SIGINT/SIGTERM/SIGHUP kill the groups, then die
 * of the same signal as before. Installed with the first group.
 */
let signalsHooked = false
function hookSignals(): void {
  if (signalsHooked) return
  signalsHooked = true
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll()
      process.removeListener(sig, onSignal)
      process.kill(process.pid, sig)
    }
    process.on(sig, onSignal)
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** Track `p` for the exit guard; `group` when it was started with `detached: true` (see spawnGroup). */
export function track(p: ChildProcess, group = false): void {
  running.set(p, group)
}

export function untrack(p: ChildProcess): void {
  running.delete(p)
}

/** Spawn `file args` as the leader of a new process group, tracked as one. */
export function spawnGroup(file: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const p = spawn(file, args, { ...opts, detached: true })
  track(p, true)
  hookSignals()
  return p
}

/**
 * Send `sig` to a process from spawnGroup: SIGKILL to its whole group (a re-executed
 * runtime child dies with it), other signals to its PID (the weft parent forwards them).
 */
export function kill(p: ChildProcess, sig: NodeJS.Signals): void {
  if (!p.pid) return
  if (sig === 'SIGKILL') return signalGroup(p.pid, sig)
  if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, sig)
}

/**
 * The PID of the process that actually serves: for `weft … --runtime bun|deno` the
 * re-executed child of `pid` (its only child), else `pid` itself. Read from /proc.
 */
export function servingPid(pid: number): number {
  let kids: number[] = []
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan every process's parent PID.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(name))
      } catch {
        // gone meanwhile
      }
    }
  }
  return kids.length === 1 ? kids[0]! : pid
}
