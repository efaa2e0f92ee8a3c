#!/usr/bin/env node
// Weft data-path benchmark: one upstream, the same load through each proxy in turn.
//
//   npm run bench                                    # build, then every target, 3 rounds of 5 s
//   node bench/run.mjs --duration 5 --rounds 3 --only weft,direct,undici-stream
//   node bench/run.mjs --help
//
// Layout (2 cores): the proxy under test is pinned to core 0 and is the only thing there;
// the upstream (nginx `return 200`, 1 process; or node:http with --upstream node) and wrk
// share core 1. Proxy CPU per request = utime+stime delta of the proxy process (and any
// children) over the measured wrk run / requests wrk completed. Rounds are interleaved
// (every target once per round, order rotated) and the medians are reported.
//
// Writes bench/out/results.json (raw samples) and rewrites bench/RESULTS.md.
// Every process it starts is tracked by PID and killed at the end, on error and on SIGINT.

import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRequire } from 'node:module'

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '')
const BENCH = join(ROOT, 'bench')
const PROXY_CORE = '0'
const LOAD_CORE = '1'
const BODY = 'hello from upstream\n'

const TARGETS = [
  { name: 'direct', label: 'direct (no proxy)', kind: 'direct' },
  { name: 'weft', label: '`weft gateway`', kind: 'weft' },
  { name: 'http-proxy', label: 'node http-proxy + keep-alive Agent', file: 'http-proxy.mjs', needs: 'http-proxy' },
  { name: 'undici-request', label: 'node:http + undici `Pool.request`', file: 'undici-request.mjs', needs: 'undici' },
  { name: 'undici-stream', label: 'node:http + undici `Pool.stream`', file: 'undici-stream.mjs', needs: 'undici' },
  { name: 'node-http', label: 'node:http + `http.request` keep-alive Agent', file: 'node-http.mjs' },
  { name: 'hono-fetch', label: 'hono on `@hono/node-server` + `fetch`', file: 'hono-fetch.mjs', needs: '@hono/node-server' },
]

// ---------------------------------------------------------------- arguments

const USAGE = `usage: node bench/run.mjs [options]
  --duration SECONDS     measured wrk run per target per round (default 5)
  --warmup SECONDS       unmeasured wrk run before each measured one (default 3)
  --rounds N             interleaved rounds; medians are reported (default 3)
  --connections N        wrk connections (default 50; wrk uses 1 thread)
  --only a,b,...         targets to run (default all): ${TARGETS.map((t) => t.name).join(', ')}
  --upstream nginx|node  upstream server (default nginx; node if nginx cannot be installed)
  --note TEXT            a note to print in RESULTS.md (e.g. about machine load)
  --no-results-md        do not rewrite bench/RESULTS.md (results.json is still written)
  --render-only          rewrite bench/RESULTS.md from bench/out/results.json, run nothing
  --help`

let args
try {
  args = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      upstream: { type: 'string', default: 'nginx' },
      note: { type: 'string' },
      'no-results-md': { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values
} catch (err) {
  console.error(`${err.message}\n${USAGE}`)
  process.exit(2)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const DURATION = Number(args.duration)
const WARMUP = Number(args.warmup)
const ROUNDS = Number(args.rounds)
const CONNECTIONS = Number(args.connections)
for (const [k, v] of Object.entries({ duration: DURATION, warmup: WARMUP, rounds: ROUNDS, connections: CONNECTIONS })) {
  if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) {
    console.error(`--${k} must be a whole number${k === 'warmup' ? '' : ' ≥ 1'}\n${USAGE}`)
    process.exit(2)
  }
}
let selected = TARGETS
if (args.only) {
  const names = args.only.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n))
  if (unknown.length) {
    console.error(`unknown target(s): ${unknown.join(', ')}\n${USAGE}`)
    process.exit(2)
  }
  selected = TARGETS.filter((t) => names.includes(t.name))
}
if (!['nginx', 'node'].includes(args.upstream)) {
  console.error(`--upstream must be nginx or node\n${USAGE}`)
  process.exit(2)
}

// ---------------------------------------------------------------- process bookkeeping

/** pid -> { name, proc } for every process this script started and has not seen exit. */
const children = new Map()
const tmpDirs = []

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`)
}

function start(name, cmd, argv, opts = {}) {
  const proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  if (proc.pid === undefined) throw new Error(`could not start ${name}: ${cmd}`)
  let out = ''
  const keep = (d) => {
    out += d
    if (out.length > 20_000) out = out.slice(-10_000)
  }
  proc.stdout.on('data', keep)
  proc.stderr.on('data', keep)
  proc.output = () => out
  proc.label = name
  proc.exited = new Promise((ok) => proc.once('exit', (code, signal) => ok({ code, signal })))
  children.set(proc.pid, proc)
  proc.once('exit', () => children.delete(proc.pid))
  proc.once('error', (err) => keep(`\nspawn error: ${err.message}\n`))
  return proc
}

/** All live descendants of pid (by walking /proc ppid links). */
function descendants(pid) {
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

async function stop(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  const kids = descendants(proc.pid)
  try { process.kill(proc.pid, 'SIGTERM') } catch {}
  const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL') } catch {} }, 3000)
  await proc.exited
  clearTimeout(timer)
  for (const k of kids) { try { process.kill(k, 'SIGKILL') } catch {} }
}

function killAllSync() {
  for (const [pid] of children) {
    for (const k of descendants(pid)) { try { process.kill(k, 'SIGKILL') } catch {} }
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  children.clear()
  for (const d of tmpDirs) { try { rmSync(d, { recursive: true, force: true }) } catch {} }
  tmpDirs.length = 0
}
process.on('exit', killAllSync)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping every process started`)
    killAllSync()
    process.exit(130)
  })
}

function tmpDir(prefix) {
  const d = mkdtempSync(join(os.tmpdir(), prefix))
  tmpDirs.push(d)
  return d
}

// ---------------------------------------------------------------- /proc

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

function readStat(pid) {
  let s
  try { s = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { return null }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  // fields after "pid (comm) ": state ppid ... utime(14) stime(15) → indexes 11, 12 here
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }
}

/** CPU µs consumed so far by pid and its live descendants. */
function cpuMicros(pid) {
  let ticks = 0
  for (const p of [pid, ...descendants(pid)]) ticks += readStat(p)?.ticks ?? 0
  return (ticks * 1e6) / CLK_TCK
}

function rssMb(pid) {
  let kb = 0
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {}
  }
  return kb / 1024
}

// ---------------------------------------------------------------- tools

function have(cmd, argv = ['--version']) {
  const r = spawnSync(cmd, argv, { stdio: 'ignore' })
  return !r.error
}

let aptUpdated = false
function aptInstall(pkg) {
  const policy = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' })
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1]
  if (!aptUpdated && (!candidate || candidate === '(none)')) {
    log('apt-get update')
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] })
    aptUpdated = true
  }
  log(`apt-get install -y ${pkg}`)
  // Debian's policy-rc.d (when present) keeps the nginx system service from being started;
  // this script runs its own nginx from a temp dir either way.
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return r.status === 0
}

function ensureTools() {
  if (!have('taskset', ['-V'])) throw new Error('taskset (util-linux) is required')
  if (!have('wrk', ['-v']) && !(aptInstall('wrk') && have('wrk', ['-v']))) throw new Error('wrk is missing and could not be installed (apt-get install -y wrk)')
  if (args.upstream === 'nginx' && !have('nginx', ['-v'])) {
    if (!(aptInstall('nginx') && have('nginx', ['-v']))) {
      log('nginx could not be installed: using the node:http upstream')
      args.upstream = 'node'
    }
  }
  if (os.availableParallelism() < 2) log('warning: fewer than 2 cores; pinning to cores 0 and 1 will fail')
}

const requireFromRoot = createRequire(join(ROOT, 'package.json'))
function resolvable(pkg) {
  try { requireFromRoot.resolve(pkg); return true } catch {}
  return existsSync(join(ROOT, 'node_modules', pkg, 'package.json'))
}

// ---------------------------------------------------------------- network helpers

async function freePort() {
  const s = net.createServer()
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok))
  const { port } = s.address()
  await new Promise((ok) => s.close(ok))
  return port
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function get(port, path = '/') {
  return new Promise((ok) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode, body }))
      res.on('error', () => ok({ status: 0, body: '' }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (e) => ok({ status: 0, body: String(e.message) }))
  })
}

/** Wait until `check()` is true; fail early if proc exits. */
async function waitFor(what, proc, check, ms = 15_000) {
  const deadline = Date.now() + ms
  for (;;) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) {
      throw new Error(`${what}: process exited (${proc.exitCode ?? proc.signalCode}):\n${proc.output().slice(-2000)}`)
    }
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${ms / 1000}s:\n${proc ? proc.output().slice(-2000) : ''}`)
    await sleep(50)
  }
}

/** The target forwards to the upstream: GET / answers 200 with the upstream's body. */
async function probe(what, proc, port) {
  let last
  await waitFor(`${what} probe`, proc, async () => {
    last = await get(port, '/')
    return last.status === 200 && last.body === BODY
  }, 10_000).catch((err) => {
    throw new Error(`${err.message}\nlast answer: ${last?.status} ${JSON.stringify(last?.body?.slice(0, 200))}`)
  })
}

// ---------------------------------------------------------------- upstream

async function startUpstream() {
  const port = await freePort()
  if (args.upstream === 'nginx') {
    const dir = tmpDir('weft-bench-nginx-')
    mkdirSync(join(dir, 'logs'))
    const conf = join(dir, 'nginx.conf')
    writeFileSync(conf, `# written by bench/run.mjs: one nginx process (no master), return 200.
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 65s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${BODY.replace('\n', '\\n')}"; }
  }
}
`)
    const proc = start('nginx upstream', 'taskset', ['-c', LOAD_CORE, 'nginx', '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf])
    await probe('nginx upstream', proc, port)
    return { proc, port, kind: 'nginx' }
  }
  const proc = start('node upstream', 'taskset', ['-c', LOAD_CORE, process.execPath, join(BENCH, 'upstream.mjs'), '--port', String(port)])
  await probe('node upstream', proc, port)
  return { proc, port, kind: 'node:http' }
}

// ---------------------------------------------------------------- targets

let weftUnavailable = null // reason string once known

function weftCheck() {
  if (weftUnavailable !== null) return weftUnavailable
  const bin = join(ROOT, 'bin', 'weft.js')
  if (!existsSync(bin)) return (weftUnavailable = 'bin/weft.js is missing')
  const r = spawnSync(process.execPath, [bin, 'gateway', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`
  if (r.status !== 0 || !text.includes('--config')) {
    const first = text.split('\n').find((l) => /error|cannot|not found/i.test(l)) ?? text.split('\n')[0]
    return (weftUnavailable = `\`node bin/weft.js gateway --help\` failed (exit ${r.status}; run \`npm run build\`?): ${first?.trim().slice(0, 300)}`)
  }
  return (weftUnavailable = '')
}

function weftConfig(listenPort, upstreamPort) {
  return `# written by bench/run.mjs
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bench, namespace: default }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: ${listenPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: / } }]
      backendRefs: [{ name: bench-upstream, port: 80 }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: bench-upstream, namespace: default }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 127.0.0.1, port: ${upstreamPort} }]
`
}

/** Start a target; returns { proc, port } (proc null for direct). */
async function startTarget(t, upstream) {
  if (t.kind === 'direct') return { proc: null, port: upstream.port }
  const port = await freePort()
  if (t.kind === 'weft') {
    const dir = tmpDir('weft-bench-gw-')
    const file = join(dir, 'bench.yaml')
    writeFileSync(file, weftConfig(port, upstream.port))
    const admin = await freePort()
    const proc = start('weft gateway', 'taskset', ['-c', PROXY_CORE, process.execPath, join(ROOT, 'bin', 'weft.js'), 'gateway',
      '--config', file, '--gateway', 'default/bench', '--address', '127.0.0.1', '--admin', `127.0.0.1:${admin}`])
    await waitFor('weft gateway /ready', proc, async () => (await get(admin, '/ready')).status === 200, 20_000)
    await probe('weft gateway', proc, port)
    return { proc, port }
  }
  const proc = start(t.name, 'taskset', ['-c', PROXY_CORE, process.execPath, join(BENCH, 'proxies', t.file), '--port', String(port), '--upstream', `127.0.0.1:${upstream.port}`])
  await waitFor(`${t.name} listening`, proc, async () => proc.output().includes(`ready ${port}`))
  await probe(t.name, proc, port)
  return { proc, port }
}

// ---------------------------------------------------------------- wrk

function toMs(v, unit) {
  const n = Number(v)
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : NaN
}

function parseWrk(out) {
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
    return m ? toMs(m[1], m[2]) : NaN
  }
  const requests = Number(/(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out)?.[1] ?? NaN)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  return { requests, rps, p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99), non2xx, socketErrors }
}

async function wrk(port, seconds) {
  const proc = start('wrk', 'taskset', ['-c', LOAD_CORE, 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`])
  const { code } = await proc.exited
  const out = proc.output()
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`)
  return out
}

async function measure(t, upstream, round) {
  const { proc, port } = await startTarget(t, upstream)
  try {
    if (WARMUP > 0) await wrk(port, WARMUP)
    const pid = proc?.pid
    const cpu0 = pid ? cpuMicros(pid) : 0
    const up0 = cpuMicros(upstream.proc.pid)
    const out = await wrk(port, DURATION)
    const cpu1 = pid ? cpuMicros(pid) : 0
    const up1 = cpuMicros(upstream.proc.pid)
    const w = parseWrk(out)
    if (!(w.requests > 0)) throw new Error(`could not read wrk output:\n${out}`)
    const sample = {
      target: t.name, round,
      rps: w.rps, requests: w.requests, p50: w.p50, p75: w.p75, p90: w.p90, p99: w.p99,
      cpuUsPerReq: pid ? (cpu1 - cpu0) / w.requests : null,
      proxyCpuPct: pid ? ((cpu1 - cpu0) / (DURATION * 1e6)) * 100 : null,
      upstreamCpuUsPerReq: (up1 - up0) / w.requests,
      rssMb: pid ? rssMb(pid) : null,
      non2xx: w.non2xx, socketErrors: w.socketErrors,
    }
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Error(`${t.name} exited during the run:\n${proc.output().slice(-2000)}`)
    return sample
  } finally {
    await stop(proc)
  }
}

// ---------------------------------------------------------------- statistics and report

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

function summarize(samples) {
  const out = []
  for (const t of TARGETS) {
    const s = samples.filter((x) => x.target === t.name)
    if (!s.length) continue
    out.push({
      target: t.name, label: t.label, rounds: s.length,
      rps: median(s.map((x) => x.rps)),
      cpuUsPerReq: median(s.map((x) => x.cpuUsPerReq)),
      proxyCpuPct: median(s.map((x) => x.proxyCpuPct)),
      upstreamCpuUsPerReq: median(s.map((x) => x.upstreamCpuUsPerReq)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      rssMb: median(s.map((x) => x.rssMb)),
      errors: s.reduce((a, x) => a + x.non2xx + x.socketErrors, 0),
      cpuSpread: spread(s.map((x) => x.cpuUsPerReq)),
      rpsSpread: spread(s.map((x) => x.rps)),
    })
  }
  return out
}

function spread(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x))
  if (v.length < 2) return null
  return { min: Math.min(...v), max: Math.max(...v) }
}

const f0 = (x) => (x == null ? '—' : Math.round(x).toLocaleString('en-US'))
const f1 = (x) => (x == null ? '—' : x.toFixed(1))
const f2 = (x) => (x == null ? '—' : x.toFixed(2))
const ms = (x) => (x == null ? '—' : `${x < 1 ? x.toFixed(2) : x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`)
const ratio = (a, b) => (a == null || b == null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`)

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const wrkV = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  const nginxV = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  return {
    nproc: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim()) || os.availableParallelism(),
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    wrk: `${wrkV.stdout ?? ''}${wrkV.stderr ?? ''}`.split('\n')[0].trim().replace(/ \[.*$/, '') || 'unknown',
    nginx: `${nginxV.stdout ?? ''}${nginxV.stderr ?? ''}`.trim().replace(/^nginx version: (nginx\/)?/, '') || null,
    memGb: +(os.totalmem() / 2 ** 30).toFixed(1),
    date: new Date().toISOString(),
  }
}

function commandLine() {
  const rest = process.argv.slice(2).map((a) => (/^[\w.,=:/@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${rest ? ` -- ${rest}` : ''}`
  return `node bench/run.mjs${rest ? ` ${rest}` : ''}`
}

function decision(sum) {
  const by = Object.fromEntries(sum.map((s) => [s.target, s]))
  const cpu = (n) => by[n]?.cpuUsPerReq ?? null
  const cands = ['undici-stream', 'undici-request', 'node-http', 'hono-fetch'].filter((n) => cpu(n) != null)
  if (cands.length < 2 || !cands.some((n) => n.startsWith('undici'))) {
    return 'Not enough data-path candidates were measured in this run to state the decision (run without `--only`).'
  }
  const best = cands.reduce((a, b) => (cpu(a) <= cpu(b) ? a : b))
  const undici = ['undici-stream', 'undici-request'].filter((n) => cpu(n) != null).reduce((a, b) => (cpu(a) <= cpu(b) ? a : b))
  const lines = []
  const within = cpu(undici) <= cpu(best) * 1.1
  const variant = undici === 'undici-stream' ? '`Pool.stream`' : '`Pool.request`'
  if (within) {
    lines.push(`**Decision: on Node, Weft's adapter takes requests with node:http and forwards them through undici \`Pool\`s (one keep-alive pool per upstream endpoint), bodies streamed both ways; stages see Weft's own small request/response view, never Web \`Request\`/\`Response\` objects on this path.** ` +
      `In this run undici ${variant} costs ${f1(cpu(undici))} µs of proxy CPU per request at ${f0(by[undici].rps)} req/s` +
      (best !== undici ? ` (${by[best].label} measured ${f1(cpu(best))} µs, within 10%, i.e. within noise)` : ', the lowest of the candidates') + '.')
  } else {
    lines.push(`**These figures do not support undici as the Node data path:** ${by[best].label} costs ${f1(cpu(best))} µs/request against ${f1(cpu(undici))} µs for undici ${variant} (more than 10% apart). Re-run on a quiet machine before deciding; if it holds, the Node adapter should forward with ${by[best].label}.`)
  }
  const other = undici === 'undici-stream' ? 'undici-request' : 'undici-stream'
  if (cpu(other) != null) lines.push(`${undici === 'undici-stream' ? '`Pool.request`' : '`Pool.stream`'} costs ${f1(cpu(other))} µs (${ratio(cpu(other), cpu(undici))}); ${undici === 'undici-stream' ? '`Pool.request` adds a promise and an intermediate body Readable per call, so the adapter drives undici at the `Pool.stream`/`dispatch` level, writing the upstream body straight into the node:http response' : '`Pool.request` is the simpler API and measured cheaper here, so the adapter uses it'}.`)
  if (cpu('node-http') != null && best !== 'node-http') lines.push(`node:http's own \`http.request\` with a keep-alive Agent costs ${f1(cpu('node-http'))} µs (${ratio(cpu('node-http'), cpu(undici))}); undici also gives per-origin pools with explicit connection limits and headers/body timeouts that the timeout, retry and circuit-breaking stages need, and it is the client Node's own \`fetch\` is built on.`)
  else if (cpu('node-http') != null) lines.push('undici is preferred over `http.request` at equal cost for its per-origin pools with explicit connection limits and headers/body timeouts, which the timeout, retry and circuit-breaking stages need.')
  if (cpu('hono-fetch') != null) lines.push(`Building Web \`Request\`/\`Response\` objects per hop (hono on \`@hono/node-server\` forwarding with \`fetch\`) costs ${f1(cpu('hono-fetch'))} µs per request, ${ratio(cpu('hono-fetch'), cpu(undici))} the undici path, at ${ratio(by['hono-fetch'].rps, by[undici].rps)} its throughput: that is why the core does not use Web objects as its request type, and only the Bun/Deno/Workers adapters (where those objects are native) back the view with them.`)
  if (cpu('http-proxy') != null) lines.push(`node http-proxy, the usual Node reverse proxy, costs ${f1(cpu('http-proxy'))} µs (${ratio(cpu('http-proxy'), cpu(undici))} the undici path).`)
  if (cpu('weft') != null) {
    const d = cpu('weft') - cpu(undici)
    const near = Math.abs(d) <= cpu(undici) * 0.1
    lines.push(`\`weft gateway\` itself (node:http and undici pools underneath, plus routing, stages and telemetry) costs ${f1(cpu('weft'))} µs per request at ${f0(by.weft.rps)} req/s: ` +
      (near ? `about the same as the bare undici candidate (${d >= 0 ? '+' : '−'}${f1(Math.abs(d))} µs, within noise)` : `${f1(Math.abs(d))} µs ${d >= 0 ? 'above' : 'below'} the bare undici candidate (${ratio(cpu('weft'), cpu(undici))})`) +
      (cpu('http-proxy') != null ? ` and ${ratio(cpu('weft'), cpu('http-proxy'))} http-proxy's CPU at ${ratio(by.weft.rps, by['http-proxy'].rps)} its throughput` : '') + '.')
  }
  return lines.join(' ')
}

function resultsMd(report) {
  const { machine: m, summary: sum, config: c } = report
  const by = Object.fromEntries(sum.map((s) => [s.target, s]))
  const hp = by['http-proxy']
  const un = by['undici-stream'] ?? by['undici-request']
  const unName = by['undici-stream'] ? 'undici `Pool.stream`' : 'undici `Pool.request`'
  const L = []
  L.push('# Weft data-path benchmark', '')
  L.push('Generated by `bench/run.mjs`; do not edit by hand (it is rewritten on every run). Raw samples: `bench/out/results.json` (not committed).', '')
  L.push('## Machine', '')
  L.push(`- ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memGb} GiB`)
  L.push(`- Node ${m.node}, ${m.kernel}, ${m.wrk}${m.nginx ? `, nginx ${m.nginx}` : ''}`)
  L.push(`- ${m.date}; load average before the run ${report.load.before}, after ${report.load.after}`, '')
  L.push('## Command', '')
  L.push('```sh', report.command, '```', '')
  L.push(`Upstream: ${c.upstream === 'nginx' ? 'nginx `return 200` (one process, no master)' : 'node:http'} answering 200 with a ${BODY.length}-byte body, pinned to core ${LOAD_CORE}. ` +
    `Each proxy is started on its own, pinned to core ${PROXY_CORE} (the only benchmark process there), and forwards to that upstream over keep-alive connections. ` +
    `Load: \`wrk -t1 -c${c.connections} -d${c.duration}s --latency\` pinned to core ${LOAD_CORE} (sharing it with the upstream), after a ${c.warmup} s warmup. ` +
    `${c.rounds} round(s), targets interleaved (order rotated each round); the table shows medians. ` +
    'Proxy CPU per request = utime+stime delta of the proxy process (/proc/PID/stat) over the measured run ÷ requests wrk completed; RSS = VmRSS after the load.', '')
  if (report.notes.length) {
    L.push('## Notes on this run', '')
    for (const n of report.notes) L.push(`- ${n}`)
    L.push('')
  }
  L.push('## Results', '')
  L.push('| proxy | req/s | proxy CPU µs/req | p50 | p99 | RSS | upstream CPU µs/req | errors |')
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const s of sum) {
    L.push(`| ${s.label} | ${f0(s.rps)} | ${f1(s.cpuUsPerReq)} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.rssMb == null ? '—' : `${f0(s.rssMb)} MB`} | ${f1(s.upstreamCpuUsPerReq)} | ${s.errors} |`)
  }
  L.push('')
  if (hp || un) {
    L.push('### Ratios', '')
    L.push(`req/s and CPU per request of each row divided by node http-proxy's and by ${unName}'s (lower CPU is better, higher req/s is better).`, '')
    L.push(`| proxy | req/s vs http-proxy | CPU vs http-proxy | req/s vs ${unName} | CPU vs ${unName} |`)
    L.push('| --- | ---: | ---: | ---: | ---: |')
    for (const s of sum) {
      L.push(`| ${s.label} | ${ratio(s.rps, hp?.rps)} | ${ratio(s.cpuUsPerReq, hp?.cpuUsPerReq)} | ${ratio(s.rps, un?.rps)} | ${ratio(s.cpuUsPerReq, un?.cpuUsPerReq)} |`)
    }
    L.push('')
  }
  const spreadRows = sum.filter((s) => s.cpuSpread)
  if (spreadRows.length) {
    L.push('<details><summary>Spread across rounds (min–max)</summary>', '')
    L.push('| proxy | req/s | proxy CPU µs/req |', '| --- | ---: | ---: |')
    for (const s of spreadRows) L.push(`| ${s.label} | ${f0(s.rpsSpread.min)}–${f0(s.rpsSpread.max)} | ${f1(s.cpuSpread.min)}–${f1(s.cpuSpread.max)} |`)
    L.push('', '</details>', '')
  }
  if (report.router) {
    L.push('## Route table size', '')
    L.push('`node bench/router.mjs` (run by this script, pinned to core ' + PROXY_CORE + '): compile a Gateway with N HTTPRoutes (a PathPrefix and a header-matched Exact rule each, over 11 hostname groups) and time listener + rule lookup for a fixed request mix. The cost per request stays flat as the table grows: hostname tables and a path-segment trie, not a scan.', '')
    L.push(report.router.trim(), '')
  }
  L.push('## Decision', '')
  L.push(decision(sum), '')
  L.push('The candidates are in `bench/proxies/` (one small file each, same hop-by-hop header handling from `common.mjs`).', '')
  return L.join('\n')
}

// ---------------------------------------------------------------- main

async function main() {
  if (args['render-only']) {
    const report = JSON.parse(readFileSync(join(BENCH, 'out', 'results.json'), 'utf8'))
    report.summary = summarize(report.samples)
    writeFileSync(join(BENCH, 'RESULTS.md'), resultsMd(report))
    log('rewrote bench/RESULTS.md from bench/out/results.json')
    return
  }
  ensureTools()
  const notes = []
  if (args.note) notes.push(args.note)
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

  let targets = []
  for (const t of selected) {
    if (t.needs && !resolvable(t.needs)) {
      const msg = `skipped ${t.name}: the package \`${t.needs}\` is not installed (npm install)`
      log(msg)
      notes.push(msg)
      continue
    }
    if (t.kind === 'weft') {
      const why = weftCheck()
      if (why) {
        const msg = `skipped \`weft gateway\`: ${why}`
        log(msg)
        notes.push(msg)
        continue
      }
    }
    targets.push(t)
  }
  if (!targets.length) throw new Error('nothing to run')

  const upstream = await startUpstream()
  log(`upstream ${upstream.kind} on 127.0.0.1:${upstream.port} (pid ${upstream.proc.pid}, core ${LOAD_CORE})`)
  const est = targets.length * ROUNDS * (WARMUP + DURATION + 1)
  log(`${targets.map((t) => t.name).join(', ')} × ${ROUNDS} round(s), ${WARMUP}s warmup + ${DURATION}s each: about ${Math.ceil(est / 60)} min`)

  const samples = []
  const failed = new Map()
  for (let r = 0; r < ROUNDS; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length])
    for (const t of order) {
      if (failed.has(t.name)) continue
      try {
        const s = await measure(t, upstream, r + 1)
        samples.push(s)
        log(`round ${r + 1} ${t.name.padEnd(15)} ${f0(s.rps).padStart(7)} req/s  cpu ${f1(s.cpuUsPerReq).padStart(6)} µs/req  p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  rss ${s.rssMb == null ? '—' : f0(s.rssMb) + ' MB'}${s.non2xx + s.socketErrors ? `  errors ${s.non2xx + s.socketErrors}` : ''}`)
      } catch (err) {
        const first = String(err.message).split('\n').slice(0, 6).join(' | ')
        log(`${t.name} failed, not measured further: ${first}`)
        failed.set(t.name, first)
        notes.push(`${t.name} failed and is left out: ${first.slice(0, 400)}`)
      }
    }
  }
  await stop(upstream.proc)

  let router
  try {
    router = execFileSync('taskset', ['-c', String(PROXY_CORE), process.execPath, join(BENCH, 'router.mjs')], { encoding: 'utf8', timeout: 120_000 })
    log(`route table size:\n${router}`)
  } catch (err) {
    notes.push(`bench/router.mjs failed: ${String(err.message).slice(0, 300)}`)
  }

  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const busy = Math.max(...`${loadBefore} ${loadAfter}`.split(' ').map(Number))
  if (busy > 1) notes.push(`The machine was busy (load average up to ${busy}; the benchmark itself adds about 2): other processes shared the cores, so absolute figures are noisy. Compare rows with each other, and re-run on a quiet machine for final figures.`)
  const summary = summarize(samples)
  for (const s of summary) if (s.errors) notes.push(`${s.target}: ${s.errors} non-2xx responses or socket errors during measured runs.`)

  const report = {
    machine: machine(),
    command: commandLine(),
    config: { duration: DURATION, warmup: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, upstream: upstream.kind === 'nginx' ? 'nginx' : 'node', proxyCore: PROXY_CORE, loadCore: LOAD_CORE, clkTck: CLK_TCK },
    load: { before: loadBefore, after: loadAfter },
    notes, summary, samples, router,
  }
  mkdirSync(join(BENCH, 'out'), { recursive: true })
  writeFileSync(join(BENCH, 'out', 'results.json'), JSON.stringify(report, null, 2) + '\n')
  log('wrote bench/out/results.json')
  if (!args['no-results-md']) {
    writeFileSync(join(BENCH, 'RESULTS.md'), resultsMd(report))
    log('wrote bench/RESULTS.md')
  }
  console.log(['', '| proxy | req/s | CPU µs/req | p50 | p99 | RSS |', '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map((s) => `| ${s.target} | ${f0(s.rps)} | ${f1(s.cpuUsPerReq)} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.rssMb == null ? '—' : f0(s.rssMb) + ' MB'} |`), ''].join('\n'))
}

main().then(
  () => { killAllSync() },
  (err) => {
    log(`error: ${err?.stack ?? err}`)
    killAllSync()
    process.exitCode = 1
  },
)
