#!/usr/bin/env node
// Weft benchmark (issues 5 and 6): the same pass-through benchmark under each runtime,
// next to nginx, HAProxy, node http-proxy, node:http + undici and the Bun/Deno fetch
// baselines, plus two hops, route-table size, bundle swaps under load and the control
// plane at scale. One command:
//
//   npm run bench                         # everything, 3 interleaved sweeps (about 25 min)
//   npm run bench -- --quick              # smoke run: 1 short sweep, smaller scenarios (< 3 min)
//   node bench/run.mjs --only pass-through,two-hop --sweeps 5
//   node bench/run.mjs --help
//
// Layout (2 cores): the candidate is pinned to core 0 and is alone there; the nginx
// upstream, the load generators and `weft control` share core 1. Writes
// bench/results.json, bench/results.svg and bench/RESULTS.md. Every process it starts is
// tracked by PID and stopped at the end, on error and on SIGINT; temp dirs are removed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CANDIDATES, meshResources } from './lib/candidates.mjs'
import { LOAD_CORE, openloop, wrk } from './lib/load.mjs'
import { startControl } from './lib/mesh.mjs'
import { BENCH, alive, coreMicros, cpuMicros, installExitHandlers, killAllSync, log, rssMb, setNiceness, stop } from './lib/procs.mjs'
import { resultsMd } from './lib/report.mjs'
import { startUpstream } from './lib/upstream.mjs'
import { bundleSwaps, controlPlane, routeTables } from './lib/scenarios.mjs'
import { summarize } from './lib/stats.mjs'
import { resultsSvg } from './lib/svg.mjs'
import { ensureTools, machine } from './lib/tools.mjs'

const GROUPS = {
  'pass-through': CANDIDATES.filter((c) => !c.group && !c.extra).map((c) => c.name),
  'two-hop': CANDIDATES.filter((c) => c.group === 'two-hop').map((c) => c.name),
  extra: CANDIDATES.filter((c) => c.extra).map((c) => c.name),
  routes: [], swaps: [], control: [],
}
GROUPS.runtimes = GROUPS['pass-through']
const SCENARIOS = ['routes', 'swaps', 'control']

const USAGE = `usage: node bench/run.mjs [options]     (npm run bench -- [options])
  --quick               smoke run: 1 sweep of short runs, smaller scenarios (< 3 min); figures are not results
  --sweeps N            interleaved sweeps, medians reported (default 3; 1 with --quick)
  --duration S          measured closed-loop run per candidate (default 5; 2 with --quick)
  --warmup S            closed-loop warmup before it (default 2; 1 with --quick)
  --rate R              open-loop rate, req/s (default 1000)
  --ol-seconds S        open-loop measured seconds (default 10; 2 with --quick)
  --connections N       wrk connections (default 50)
  --only a,b            candidates and/or groups to run (default: all but extra). Groups:
                          pass-through (alias runtimes): ${GROUPS['pass-through'].join(', ')}
                          two-hop: ${GROUPS['two-hop'].join(', ')}
                          extra (the Node data-path candidates of issue 2): ${GROUPS.extra.join(', ')}
                          routes, swaps, control: the scenarios
  --skip a,b            candidates/groups to leave out
  --swap-runtimes a,b   sidecar runtimes for the bundle-swap scenario (default node,bun)
  --route-runtimes a,b  gateway runtimes for the route-table scenario (default node,bun; node with --quick)
  --nice=N              run every benchmark process at niceness N (e.g. --nice=-10, as root): other load on a
                        shared machine yields to it (it also slows that load down)
  --max-minutes M       stop everything and exit 1 after M minutes (default 60; 10 with --quick)
  --note TEXT           a note for RESULTS.md
  --scratch             write the outputs to bench/out/ (not committed) instead of bench/
  --render-only         rewrite RESULTS.md and results.svg from bench/results.json, run nothing
  --help`

// --quick keeps the route-table scenario to Node to stay under 3 minutes.
const Q_DEFAULT_ROUTES = process.argv.includes('--quick') ? 'node' : 'node,bun'
let args
try {
  args = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      sweeps: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      rate: { type: 'string', default: '1000' }, 'ol-seconds': { type: 'string' }, connections: { type: 'string', default: '50' },
      only: { type: 'string' }, skip: { type: 'string' },
      'swap-runtimes': { type: 'string', default: 'node,bun' }, 'route-runtimes': { type: 'string', default: Q_DEFAULT_ROUTES },
      'max-minutes': { type: 'string' }, nice: { type: 'string' }, note: { type: 'string' }, scratch: { type: 'boolean', default: false }, 'render-only': { type: 'boolean', default: false },
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
const Q = args.quick
const num = (k, full, quick) => Number(args[k] ?? (Q ? quick : full))
const cfg = {
  quick: Q, sweeps: num('sweeps', 3, 1), duration: num('duration', 5, 2), warmup: num('warmup', 2, 1),
  rate: num('rate', 1000, 1000), olSeconds: num('ol-seconds', 10, 2), olWarmup: Q ? 0.5 : 1, connections: num('connections', 50, 50),
  proxyCore: '0', loadCore: LOAD_CORE,
}
for (const k of ['sweeps', 'duration', 'rate', 'olSeconds', 'connections']) {
  if (!Number.isInteger(cfg[k]) || cfg[k] < 1) { console.error(`--${k} must be a whole number ≥ 1\n${USAGE}`); process.exit(2) }
}

function expand(list) {
  const names = new Set()
  for (const n of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (GROUPS[n]) { names.add(n); GROUPS[n].forEach((x) => names.add(x)) } else if (CANDIDATES.some((c) => c.name === n)) names.add(n)
    else { console.error(`unknown candidate or group: ${n}\n${USAGE}`); process.exit(2) }
  }
  return names
}
const chosen = args.only ? expand(args.only) : new Set([...GROUPS['pass-through'], ...GROUPS['two-hop'], ...SCENARIOS])
if (args.skip) for (const n of expand(args.skip)) chosen.delete(n)
const runtimesArg = (k) => args[k].split(',').map((s) => s.trim()).filter((s) => ['node', 'bun', 'deno'].includes(s))

// ---------------------------------------------------------------- one measurement

async function measure(c, ctx, sweep) {
  const t = await c.start(ctx, c)
  try {
    // What is measured: the candidate's own processes (a launcher may point at its child).
    const pids = t.pids ?? t.procs.map((p) => p.pid)
    const load = { headers: t.headers ?? {}, connections: cfg.connections }
    if (cfg.warmup) await wrk(t.port, cfg.warmup, load)
    const cpu0 = cpuMicros(pids)
    const up0 = cpuMicros([ctx.upstream.proc.pid])
    const core0 = coreMicros(cfg.proxyCore)
    const w = await wrk(t.port, cfg.duration, load)
    const cpu = cpuMicros(pids) - cpu0
    const up = cpuMicros([ctx.upstream.proc.pid]) - up0
    const core1 = coreMicros(cfg.proxyCore)
    // Share of the candidate's core that other processes (not this benchmark's) used meanwhile.
    const otherOnCorePct = Math.max(0, ((core1.busy - core0.busy - (pids.length ? cpu : 0)) / (core1.total - core0.total)) * 100)
    let ol = null
    let olCpu = null
    if (ctx.tools.openloop) {
      const c0 = cpuMicros(pids)
      ol = await openloop(t.port, { rate: cfg.rate, seconds: cfg.olSeconds, warmup: cfg.olWarmup, headers: t.headers ?? {} })
      // CPU over warmup + measured window ÷ requests sent in both (the rate is fixed)
      olCpu = (cpuMicros(pids) - c0) / (cfg.rate * (cfg.olSeconds + cfg.olWarmup))
    }
    const sample = {
      candidate: c.name, sweep, hops: t.hops ?? 1,
      rps: w.rps, requests: w.requests, wrkP50: w.p50, wrkP99: w.p99, errors: w.non2xx + w.socketErrors,
      cpuUsPerReq: pids.length ? cpu / w.requests : null,
      olCpuUsPerReq: pids.length ? olCpu : null,
      upstreamCpuUsPerReq: up / w.requests,
      otherOnCorePct,
      rssMb: pids.length ? rssMb(pids) : null,
      ol,
    }
    for (const p of t.procs) if (!alive(p)) throw new Error(`${p.label} exited during the run:\n${p.output().slice(-1500)}`)
    return sample
  } finally {
    for (const p of t.procs) await stop(p)
  }
}

const f = (x, d = 0) => (x == null ? '—' : x.toFixed(d))

// ---------------------------------------------------------------- main

function writeOutputs(report) {
  const dir = args.scratch ? join(BENCH, 'out') : BENCH
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'results.json'), JSON.stringify(report, null, 2) + '\n')
  writeFileSync(join(dir, 'results.svg'), resultsSvg(report))
  const analysisFile = join(BENCH, 'ANALYSIS.md')
  writeFileSync(join(dir, 'RESULTS.md'), resultsMd(report, existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : ''))
  log(`wrote ${dir === BENCH ? 'bench' : 'bench/out'}/results.json, results.svg, RESULTS.md`)
}

function commandLine() {
  const rest = process.argv.slice(2).map((a) => (/^[\w.,=:/@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${rest ? ` -- ${rest}` : ''}`
  return `node bench/run.mjs${rest ? ` ${rest}` : ''}`
}

async function main() {
  if (args['render-only']) {
    const report = JSON.parse(readFileSync(join(args.scratch ? join(BENCH, 'out') : BENCH, 'results.json'), 'utf8'))
    report.summary = summarize(CANDIDATES, report.samples)
    writeOutputs(report)
    return
  }
  installExitHandlers()
  const t0 = Date.now()
  if (args.nice !== undefined) {
    const n = Number(args.nice)
    if (!Number.isInteger(n) || n < -20 || n > 19) throw new Error('--nice takes a whole number from -20 to 19')
    setNiceness(n)
    cfg.nice = n
  }
  const maxMinutes = Number(args['max-minutes'] ?? (Q ? 10 : 60))
  setTimeout(() => {
    log(`--max-minutes ${maxMinutes} reached: stopping every process started`)
    killAllSync()
    process.exit(1)
  }, maxMinutes * 60_000).unref()
  const tools = ensureTools()
  // This orchestrating process stays off the candidate's core too (all its threads).
  spawnSync('taskset', ['-a', '-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' })
  const notes = []
  if (args.note) notes.push(args.note)
  if (!tools.openloop) notes.push('No open-loop generator (gcc missing or bench/openloop.c did not compile): the fixed-rate latency columns are empty.')
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

  const candidates = CANDIDATES.filter((c) => chosen.has(c.name)).filter((c) => {
    if (c.needs && !tools[c.needs]) { notes.push(`${c.name}: not run, \`${c.needs}\` is not installed`); return false }
    return true
  })
  const upstream = await startUpstream()
  log(`upstream nginx on 127.0.0.1:${upstream.port} (pid ${upstream.proc.pid}, core ${LOAD_CORE})`)
  let meshP = null
  const ctx = {
    tools, upstream,
    mesh: () => (meshP ??= startControl().then(async (m) => { await m.apply(meshResources(upstream.port)); return m })),
  }

  const per = cfg.warmup + cfg.duration + (tools.openloop ? cfg.olSeconds + cfg.olWarmup : 0) + 3
  const fullPer = 2 + 5 + 11 + 3
  const fullEstimateMin = Math.ceil((CANDIDATES.filter((c) => !c.extra).length * 3 * fullPer + 3 * 3 * 2 * 10 + 2 * 35 + 60) / 60)
  log(`${candidates.length} candidate(s) × ${cfg.sweeps} sweep(s) ≈ ${Math.ceil((candidates.length * cfg.sweeps * per) / 60)} min, then the scenarios`)

  const samples = []
  const failed = new Map()
  for (let sweep = 1; sweep <= cfg.sweeps; sweep++) {
    const order = candidates.map((_, i) => candidates[(i + sweep - 1) % candidates.length])
    for (const c of order) {
      if (failed.has(c.name)) continue
      try {
        const s = await measure(c, ctx, sweep)
        samples.push(s)
        log(`sweep ${sweep} ${c.name.padEnd(14)} ${f(s.rps).padStart(6)} req/s  cpu ${f(s.cpuUsPerReq, 1).padStart(6)} µs/req  others on core ${f(s.otherOnCorePct)}%  ` +
          `@${cfg.rate}/s p50 ${f(s.ol?.p50, 2)} p99 ${f(s.ol?.p99, 2)} p99.9 ${f(s.ol?.p999, 2)} ms  rss ${f(s.rssMb)} MB` +
          `${s.errors + (s.ol?.errors ?? 0) ? `  errors ${s.errors}+${s.ol?.errors ?? 0}` : ''}`)
      } catch (err) {
        const first = String(err.message).split('\n').filter(Boolean).slice(0, 4).join(' | ').slice(0, 400)
        log(`${c.name} failed, not measured further: ${first}`)
        failed.set(c.name, first)
        notes.push(`**${c.label}** (\`${c.name}\`) did not run: ${first}`)
      }
    }
  }

  let routes = null
  if (chosen.has('routes')) {
    routes = await routeTables(ctx, runtimesArg('route-runtimes'), { sweeps: cfg.sweeps, warmup: cfg.warmup, duration: cfg.duration })
    for (const s of routes.samples.filter((s) => s.failed)) notes.push(`route tables: the gateway on ${s.runtime} failed: ${s.failed}`)
  }
  const swaps = []
  if (chosen.has('swaps') && tools.openloop) {
    for (const rt of runtimesArg('swap-runtimes')) {
      try {
        const s = await bundleSwaps(ctx, rt, { rate: cfg.rate, seconds: Q ? 4 : 15, swaps: 50 })
        swaps.push(s)
        log(`swaps on ${rt}: p99 ${f(s.baseline.p99, 2)} → ${f(s.during.p99, 2)} ms, errors ${s.baseline.errors} → ${s.during.errors}, swaps seen ${s.swapsSeen}`)
      } catch (err) {
        const first = String(err.message).split('\n').filter(Boolean).slice(0, 3).join(' | ').slice(0, 300)
        log(`swaps on ${rt} failed: ${first}`)
        swaps.push({ runtime: rt, failed: first })
      }
    }
  }
  // The data path is done: free both cores before the control-plane scale test.
  const meshNow = meshP && (await meshP.catch(() => null))
  if (meshNow) await stop(meshNow.proc)
  await stop(upstream.proc)
  let control = null
  if (chosen.has('control')) {
    const o = Q ? { applies: 2, proxies: 100, services: 100 } : { applies: 5, proxies: 100, services: 1000 }
    try {
      control = await controlPlane(o)
      log(`control plane: ${control.output.replace(/\n/g, ' / ')}`)
    } catch (err) {
      control = { ...o, failed: String(err.message).split('\n').slice(0, 4).join(' | ').slice(0, 400) }
      log(`control plane failed: ${control.failed}`)
    }
  }

  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const busy = Math.max(...`${loadBefore} ${loadAfter}`.split(' ').map(Number))
  if (busy > 1.5) notes.push(`The machine was busy (load average up to ${busy}; the benchmark itself adds about 2): absolute figures are noisy; compare ratios within this run.`)
  const other = samples.map((s) => s.otherOnCorePct).filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  let busyCore = false
  if (other.length) {
    const med = other[other.length >> 1]
    busyCore = med > 5
    notes.push(`Other processes used a median ${med.toFixed(0)} % (max ${other[other.length - 1].toFixed(0)} %) of the candidate's core during the closed-loop runs (/proc/stat busy time minus the candidate's own)${med > 5 ? ': the machine was not quiet, these figures are not results' : ''}.`)
  }
  const summary = summarize(CANDIDATES, samples)
  for (const s of summary) if (s.errors) notes.push(`${s.candidate}: ${s.errors} failed requests (non-2xx, socket errors, open-loop timeouts or unsent) during measured runs.`)
  const report = {
    machine: machine(), command: commandLine(), config: cfg, fullEstimateMin,
    load: { before: loadBefore, after: loadAfter }, busyCore, elapsedS: (Date.now() - t0) / 1000,
    notes, failed: Object.fromEntries(failed), summary, samples, routes, swaps, control,
  }
  writeOutputs(report)
  console.log(['', '| candidate | req/s | CPU µs/req | p50 | p99 | p99.9 | added p99/hop | RSS |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map((s) => `| ${s.candidate} | ${f(s.rps)} | ${f(s.cpuUsPerReq, 1)} | ${f(s.p50, 2)} | ${f(s.p99, 2)} | ${f(s.p999, 2)} | ${f(s.addedP99, 2)} | ${f(s.rssMb)} |`), ''].join('\n'))
}

main().then(
  () => killAllSync(),
  (err) => {
    log(`error: ${err?.stack ?? err}`)
    killAllSync()
    process.exitCode = 1
  },
)
