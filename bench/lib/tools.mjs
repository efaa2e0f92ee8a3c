// The tools the benchmark needs: taskset, wrk (closed loop), nginx and HAProxy (from
// Debian, installed with apt-get when missing and running as root), and the open-loop
// generator bench/openloop.c, compiled with gcc into bench/out/ (wrk2 is not packaged
// by Debian and there is no network to fetch its source). Also the machine description.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { BENCH, ROOT, log } from './procs.mjs'

export const OPENLOOP = join(BENCH, 'out', 'openloop')

function have(cmd, argv = ['--version']) {
  return !spawnSync(cmd, argv, { stdio: 'ignore' }).error
}

let aptUpdated = false
function aptInstall(pkgs) {
  if (process.getuid?.() !== 0) {
    log(`not root: cannot apt-get install ${pkgs.join(' ')}`)
    return false
  }
  const missingCandidate = pkgs.some((p) => {
    const policy = spawnSync('apt-cache', ['policy', p], { encoding: 'utf8' })
    const c = /Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1]
    return !c || c === '(none)'
  })
  if (missingCandidate && !aptUpdated) {
    log('apt-get update')
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] })
    aptUpdated = true
  }
  log(`apt-get install -y ${pkgs.join(' ')}`)
  // Debian's policy-rc.d (when present) keeps the system nginx/haproxy services from
  // starting; this script runs its own instances from temp dirs either way.
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return r.status === 0
}

/** Install what is missing; returns { nginx, haproxy, openloop } availability (wrk and taskset are required). */
export function ensureTools() {
  if (!have('taskset', ['-V'])) throw new Error('taskset (util-linux) is required')
  const want = []
  if (!have('wrk', ['-v'])) want.push('wrk')
  if (!have('nginx', ['-v'])) want.push('nginx')
  if (!have('haproxy', ['-v'])) want.push('haproxy')
  if (!have('gcc')) want.push('gcc', 'libc6-dev')
  if (want.length) aptInstall(want)
  if (!have('wrk', ['-v'])) throw new Error('wrk is missing and could not be installed (apt-get install -y wrk)')
  const out = { nginx: have('nginx', ['-v']), haproxy: have('haproxy', ['-v']), openloop: buildOpenloop() }
  if (os.availableParallelism() < 2) log('warning: fewer than 2 cores; pinning to cores 0 and 1 will fail')
  return out
}

/** Compile bench/openloop.c when the binary is missing or older than the source. */
function buildOpenloop() {
  const src = join(BENCH, 'openloop.c')
  if (existsSync(OPENLOOP) && statSync(OPENLOOP).mtimeMs >= statSync(src).mtimeMs) return true
  if (!have('gcc')) {
    log('gcc is missing: no open-loop generator, the fixed-rate latency columns stay empty')
    return false
  }
  mkdirSync(join(BENCH, 'out'), { recursive: true })
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', OPENLOOP, src], { encoding: 'utf8' })
  if (r.status !== 0) {
    log(`gcc bench/openloop.c failed:\n${r.stderr}`)
    return false
  }
  log('built bench/out/openloop from bench/openloop.c')
  return true
}

function version(cmd, argv, re = /.*/) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: ROOT })
  if (r.error) return null
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim()
  return (re.exec(text)?.[1] ?? text) || null
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  return {
    // Not `nproc`: the benchmark runs pinned to one core, and nproc counts only the cores it may use.
    nproc: os.cpus().length,
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memGb: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    bun: version(join(ROOT, 'node_modules', '.bin', 'bun'), ['--version']),
    deno: version(join(ROOT, 'node_modules', '.bin', 'deno'), ['--version'], /^deno (\S+)/),
    wrk: version('wrk', ['-v'], /^(wrk \S+)/),
    nginx: version('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: version('haproxy', ['-v'], /version (\S+)/),
    date: new Date().toISOString(),
  }
}
