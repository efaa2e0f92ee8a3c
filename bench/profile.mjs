#!/usr/bin/env node
// Where the CPU of a request goes, for the Node and Bun candidates: each runs under
// `--cpu-prof` (V8's sampling profiler on Node, JavaScriptCore's on Bun: same format),
// pinned to the proxy core, under the benchmark's closed-loop load (wrk -c50) to the
// nginx upstream; on SIGTERM it exits and writes its profile. The profile's self time
// is then put in buckets by what the code is (node's HTTP server, streams and sockets,
// undici, Weft's own core/runtime code, GC, V8 builtins and natives...) and the heaviest
// functions listed. Output: bench/PROFILE.md, bench/profile.json and a flame graph per
// candidate (bench/flame-NAME.svg); the .cpuprofile files stay in bench/out/profiles/
// (Chrome DevTools or speedscope open them too).
//
//   npm run bench:profile                         # undici Pool.stream, Bun.serve + fetch, the gateway and sidecar on Node and Bun
//   node bench/profile.mjs --seconds 10 --only gateway-node
//
// The profiler's own sampling costs CPU: compare buckets between candidates of the same
// run, not with bench/RESULTS.md's CPU figures.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CANDIDATES, meshResources } from './lib/candidates.mjs'
import { openloop, wrk } from './lib/load.mjs'
import { startControl } from './lib/mesh.mjs'
import { BENCH, ROOT, cpuMicros, installExitHandlers, log, stop } from './lib/procs.mjs'
import { BUCKETS, flameSvg, summarize } from './lib/cpuprofile.mjs'
import { ensureTools, machine } from './lib/tools.mjs'
import { startUpstream } from './lib/upstream.mjs'

const { values: args } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '8' }, only: { type: 'string', default: 'undici-stream,gateway-node,sidecar-node,bun-fetch,gateway-bun,sidecar-bun' } } })
const SECONDS = Number(args.seconds)
const RATE = Number(args.rate)
const OUT = join(BENCH, 'out', 'profiles')

async function main() {
  installExitHandlers()
  const tools = ensureTools()
  if (!tools.nginx) throw new Error('bench/profile.mjs needs nginx for the upstream (apt-get install nginx)')
  rmSync(OUT, { recursive: true, force: true })
  const upstream = await startUpstream()
  let mesh = null
  const ctx = { tools, upstream, mesh: async () => (mesh ??= await startControl().then(async (m) => { await m.apply(meshResources(upstream.port)); return m })) }
  const names = args.only.split(',').map((s) => s.trim())
  const results = []
  const gc = []
  try {
    for (const name of names) {
      const c = CANDIDATES.find((x) => x.name === name)
      if (!c) throw new Error(`unknown candidate ${name}`)
      if (name.startsWith('sidecar')) await ctx.mesh() // the control plane must not run with the profiler on
      const dir = join(OUT, name)
      mkdirSync(dir, { recursive: true })
      process.env.WEFT_BENCH_PROFILE_DIR = dir
      let t
      try {
        t = await c.start(ctx, c)
      } finally {
        delete process.env.WEFT_BENCH_PROFILE_DIR
      }
      const load = { headers: t.headers ?? {}, path: t.path ?? '/' }
      await wrk(t.port, 2, load)
      const pids = t.pids ?? t.procs.map((p) => p.pid)
      const cpu0 = cpuMicros(pids)
      const w = await wrk(t.port, SECONDS, load)
      const cpuPerReq = (cpuMicros(pids) - cpu0) / w.requests
      for (const p of t.procs) await stop(p, 15_000)
      const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
      if (file.length !== 1) throw new Error(`${name}: expected one profile in ${dir}, found ${file.length}`)
      const profile = JSON.parse(readFileSync(file[0], 'utf8'))
      const s = summarize(profile)
      const svg = `flame-${name}.svg`
      writeFileSync(join(BENCH, svg), flameSvg(profile, `${c.label} under wrk -c50: where the CPU goes (bench/profile.mjs)`))
      // The profile spans startup, warmup and the measured load; its shares are put on the CPU
      // per request measured (/proc) during the measured load, under the profiler.
      const perReq = (us) => (us / s.busyUs) * cpuPerReq
      results.push({ name, label: c.label, rps: w.rps, requests: w.requests, cpuPerReq, profile: file[0].replace(ROOT + '/', ''), svg, ...s, perReq: Object.fromEntries(Object.entries(s.buckets).map(([k, v]) => [k, perReq(v)])) })
      log(`${name}: ${Math.round(w.rps)} req/s under the profiler, ${cpuPerReq.toFixed(1)} CPU µs/req`)
    }
    // GC pauses under the open-loop load of the latency columns (Node candidates only).
    if (tools.openloop) {
      for (const name of names.filter((n) => n === 'undici-stream' || n.endsWith('-node'))) gc.push(await gcPauses(CANDIDATES.find((x) => x.name === name), ctx))
    }
  } finally {
    if (mesh) await stop(mesh.proc)
    await stop(upstream.proc)
  }
  const m = machine()
  writeFileSync(join(BENCH, 'profile.json'), JSON.stringify({ date: new Date().toISOString(), machine: m, seconds: SECONDS, results, gc }, null, 2) + '\n')
  writeFileSync(join(BENCH, 'PROFILE.md'), render(results, m, gc))
  log('wrote bench/PROFILE.md and bench/profile.json')
}

/**
 * Run `c` with --trace-gc under the open loop at RATE req/s (as the latency columns of
 * bench/RESULTS.md) and read its GC lines: how often V8 pauses, for how long, and how
 * that compares with the request latency percentiles of the same run.
 */
async function gcPauses(c, ctx) {
  process.env.WEFT_BENCH_TRACE_GC = '1'
  const spawned = Date.now()
  let t
  try {
    t = await c.start(ctx, c)
  } finally {
    delete process.env.WEFT_BENCH_TRACE_GC
  }
  try {
    const load = { headers: t.headers ?? {}, path: t.path ?? '/' }
    await wrk(t.port, 2, load) // warm: JIT and pools, as in run.mjs
    // --trace-gc stamps each line with ms since the process started (≈ since it was spawned):
    // the lines of the open-loop run are those stamped after it began.
    const from = Date.now() - spawned
    const ol = await openloop(t.port, { rate: RATE, seconds: SECONDS, warmup: 1, headers: load.headers, path: load.path })
    const pauses = { scavenge: [], markCompact: [] }
    for (const l of t.procs[0].output().split('\n')) {
      // "[pid:0x…]  1234 ms: Scavenge 20.1 (25.3) -> 4.2 (26.3) MB, 0.85 / 0.00 ms  (average mu …"
      const mm = /\s(\d+) ms: (Scavenge|Mark-Compact|Mark-sweep)[^,]*, ([\d.]+) \/ ([\d.]+) ms/.exec(l)
      if (mm && Number(mm[1]) >= from) (mm[2] === 'Scavenge' ? pauses.scavenge : pauses.markCompact).push(Number(mm[3]))
    }
    const seconds = SECONDS + 1
    const sc = pauses.scavenge.sort((a, b) => a - b)
    return {
      name: c.name, label: c.label, rate: RATE, seconds,
      scavengesPerS: sc.length / seconds, scavengeMedianMs: sc[Math.floor(sc.length / 2)] ?? null, scavengeMaxMs: sc.at(-1) ?? null,
      markCompacts: pauses.markCompact.length, gcMsPerS: (sc.reduce((a, b) => a + b, 0) + pauses.markCompact.reduce((a, b) => a + b, 0)) / seconds,
      p50: ol.p50, p99: ol.p99, p999: ol.p999,
    }
  } finally {
    for (const p of t.procs) await stop(p, 15_000)
  }
}

function render(results, m, gc = []) {
  const f1 = (x) => (x === undefined ? '—' : x.toFixed(1))
  const buckets = BUCKETS.map(([b]) => b).filter((b) => b !== 'idle' && results.some((r) => r.perReq[b] >= 0.05))
  const L = [
    '# Where the CPU of a request goes (Node and Bun)',
    '',
    'Generated by `bench/profile.mjs`; do not edit by hand.',
    '',
    `- ${m.nproc} cores (${m.cpu}); Node ${process.version}; ${new Date().toISOString()}`,
    `- Command: \`node bench/profile.mjs --seconds ${SECONDS} --only ${results.map((r) => r.name).join(',')}\``,
    '- Each candidate alone on core 0 under `--cpu-prof`, `wrk -t1 -c50` from core 1 to the nginx upstream (2 s warmup, then the measured run). The self time of every sample is put in a bucket by the code it was in; a bucket\'s share of the busy time is then applied to the CPU per request measured from /proc during the measured run. The profiler slows the process: compare shares and candidates of this run, not these µs with bench/RESULTS.md.',
    '',
    '## Self time per request, µs (share of the busy time), by kind of code',
    '',
    `| bucket | ${results.map((r) => r.label).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
    ...buckets.map((b) => `| ${b} | ${results.map((r) => `${f1(r.perReq[b])} (${Math.round((100 * r.buckets[b]) / r.busyUs)} %)`).join(' | ')} |`),
    `| **CPU µs/req (/proc, under the profiler)** | ${results.map((r) => `**${f1(r.cpuPerReq)}**`).join(' | ')} |`,
    `| req/s under the profiler | ${results.map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' | ')} |`,
    '',
  ]
  if (gc.length) {
    const f2 = (x) => (x == null ? '—' : x.toFixed(2))
    L.push(`## GC pauses at ${gc[0].rate.toLocaleString('en-US')} req/s (open loop, \`--trace-gc\`)`, '',
      'Young-generation collections (Scavenge) stop the whole process; a request that arrives during one waits for it. Requests per collection = rate ÷ scavenges per second.', '',
      '| candidate | scavenges/s | requests per scavenge | scavenge median | max | mark-compacts | GC ms per s | p50 | p99 | p99.9 |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const g of gc) L.push(`| ${g.label} | ${f1(g.scavengesPerS)} | ${g.scavengesPerS ? Math.round(g.rate / g.scavengesPerS) : '—'} | ${f2(g.scavengeMedianMs)} ms | ${f2(g.scavengeMaxMs)} ms | ${g.markCompacts} | ${f2(g.gcMsPerS)} | ${f2(g.p50)} ms | ${f2(g.p99)} ms | ${f2(g.p999)} ms |`)
    L.push('')
  }
  for (const r of results) {
    L.push(`## ${r.label}: heaviest functions (self time)`, '', `Profile: \`${r.profile}\`; flame graph: [${r.svg}](${r.svg})`, '', '| function | µs/req | share of busy |', '| --- | ---: | ---: |')
    for (const [k, us] of r.top) L.push(`| \`${k.replace(/\|/g, '\\|')}\` | ${((us / r.busyUs) * r.cpuPerReq).toFixed(2)} | ${((100 * us) / r.busyUs).toFixed(1)} % |`)
    L.push('')
  }
  return L.join('\n')
}

main().catch((err) => {
  console.error(`bench/profile.mjs: ${err.message}`)
  process.exitCode = 1
})
