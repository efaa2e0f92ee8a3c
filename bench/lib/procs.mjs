// Process bookkeeping for the benchmark: every process started is tracked by PID and
// stopped by PID (with its descendants) at the end, on error and on SIGINT; temp dirs
// are removed. Also the /proc readings: CPU time (utime+stime) and RSS of a process tree.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
export const BENCH = join(ROOT, 'bench')

/** pid -> proc for every process started here that has not exited. */
const children = new Map()
const tmpDirs = []

const T0 = Date.now()
/**
 * Flags for the Node and Bun candidates' runtime, before the script: `--cpu-prof` into
 * WEFT_BENCH_PROFILE_DIR when bench/profile.mjs sets it (node refuses --cpu-prof in
 * NODE_OPTIONS; both runtimes take the same two flags). Read when a candidate starts.
 */
export const profileFlags = () => [
  ...(process.env.WEFT_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WEFT_BENCH_PROFILE_DIR}`] : []),
  // Node only: one line per garbage collection on stdout (bench/profile.mjs, GC pauses).
  ...(process.env.WEFT_BENCH_TRACE_GC ? ['--trace-gc'] : []),
]

export function log(msg) {
  process.stderr.write(`[bench +${Math.round((Date.now() - T0) / 1000)}s] ${msg}\n`)
}

let niceness = 0
/**
 * --nice N: every pinned benchmark process (started through taskset) runs at that
 * niceness, so on a shared machine other load yields to the benchmark (N < 0, root).
 * `nice` execs taskset, which execs the program: the PID is still the program's.
 */
export function setNiceness(n) {
  niceness = n
}

/** Spawn `cmd argv`, keep the tail of its output (proc.output()), track it by PID. */
export function start(name, cmd, argv, opts = {}) {
  if (cmd === 'taskset' && niceness !== 0) [cmd, argv] = ['nice', ['-n', String(niceness), 'taskset', ...argv]]
  const proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  let out = ''
  const keep = (d) => {
    out += d
    if (out.length > 40_000) out = out.slice(-20_000)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  proc.output = () => out
  proc.label = name
  proc.exited = new Promise((ok) => proc.once('exit', (code, signal) => ok({ code, signal })))
  proc.once('error', (err) => keep(`\nspawn error: ${err.message}\n`))
  if (proc.pid === undefined) {
    proc.exitCode ??= 127
    return proc
  }
  children.set(proc.pid, proc)
  proc.once('exit', () => children.delete(proc.pid))
  return proc
}

export const alive = (proc) => proc && proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null

/** Run to completion (stopped after `timeoutMs`); resolves with { code, out }. */
export async function run(name, cmd, argv, opts, timeoutMs = 10 * 60_000) {
  const proc = start(name, cmd, argv, opts)
  const timer = setTimeout(() => { log(`${name}: still running after ${timeoutMs / 1000} s, stopping it`); stop(proc) }, timeoutMs)
  const { code, signal } = await proc.exited
  clearTimeout(timer)
  return { code: code ?? (signal ? 128 : 1), out: proc.output() }
}

export function readStat(pid) {
  let s
  try { s = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { return null }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  // after "pid (comm) ": state(0) ppid(1) ... utime(11) stime(12)
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }
}

/** The process's command name (/proc/PID/comm), or null once gone. */
export function readComm(pid) {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() } catch { return null }
}

/** Live descendants of pid (walking /proc ppid links). */
export function descendants(pid) {
  const parent = new Map()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const st = readStat(Number(d))
    if (st) parent.set(Number(d), st.ppid)
  }
  const out = []
  const walk = (p) => {
    for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c) }
  }
  walk(pid)
  return out
}

/** SIGTERM the process (SIGKILL after `grace` ms), then SIGKILL whatever it left behind. */
export async function stop(proc, grace = 5000) {
  if (!alive(proc)) return
  const kids = descendants(proc.pid)
  try { process.kill(proc.pid, 'SIGTERM') } catch {}
  const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL') } catch {} }, grace)
  await proc.exited
  clearTimeout(timer)
  for (const k of kids) { try { process.kill(k, 'SIGKILL') } catch {} }
}

export function killAllSync() {
  for (const [pid] of children) {
    for (const k of descendants(pid)) { try { process.kill(k, 'SIGKILL') } catch {} }
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  children.clear()
  for (const d of tmpDirs) { try { rmSync(d, { recursive: true, force: true }) } catch {} }
  tmpDirs.length = 0
}

export function installExitHandlers() {
  process.on('exit', killAllSync)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      log(`${sig}: stopping every process started`)
      killAllSync()
      process.exit(130)
    })
  }
}

export function tmpDir(prefix) {
  const d = mkdtempSync(join(os.tmpdir(), prefix))
  tmpDirs.push(d)
  return d
}

export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/** CPU µs used so far by the given pids and their live descendants. */
export function cpuMicros(pids) {
  const all = new Set()
  for (const p of pids) { all.add(p); for (const d of descendants(p)) all.add(d) }
  let ticks = 0
  for (const p of all) ticks += readStat(p)?.ticks ?? 0
  return (ticks * 1e6) / CLK_TCK
}

/** VmRSS in MB of the given pids and their live descendants. */
export function rssMb(pids) {
  const all = new Set()
  for (const p of pids) { all.add(p); for (const d of descendants(p)) all.add(d) }
  let kb = 0
  for (const p of all) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {}
  }
  return kb / 1024
}

/** Busy and total µs of one CPU so far (/proc/stat), to see what else ran on the candidate's core. */
export function coreMicros(core) {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `))
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f
  const busy = user + nice + system + irq + softirq + steal
  return { busy: (busy * 1e6) / CLK_TCK, total: ((busy + idle + iowait) * 1e6) / CLK_TCK }
}
