/**
 * Every process a test starts is stopped by the test, by its PID; this is the last
 * guard: whatever is still running when the test worker exits is killed.
 */
import type { ChildProcess } from 'node:child_process'

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null && p.pid) process.kill(p.pid, 'SIGKILL')
})

export function track(p: ChildProcess): void {
  running.add(p)
}

export function untrack(p: ChildProcess): void {
  running.delete(p)
}
