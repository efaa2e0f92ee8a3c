#!/usr/bin/env node
// Where the CPU of a request goes, for the Node candidates: each runs under `--cpu-prof`
// (V8's sampling profiler, the data `node --cpu-prof` flame graphs are drawn from),
// pinned to the proxy core, under the benchmark's closed-loop load (wrk -c50) to the
// nginx upstream; on SIGTERM it exits and writes its profile. The profile's self time
// is then put in buckets by what the code is (node's HTTP server, streams and sockets,
// undici, Weft's own core/runtime code, GC, V8 builtins and natives...) and the heaviest
// functions listed. Output: bench/PROFILE.md and bench/profile.json; the .cpuprofile
// files stay in bench/out/profiles/ (open one in Chrome DevTools or speedscope for the
// flame graph).
//
//   npm run bench:profile                         # undici Pool.stream, the gateway and the sidecar on Node
//   node bench/profile.mjs --seconds 10 --only gateway-node
//
// The profiler's own sampling costs CPU: compare buckets between candidates of the same
// run, not with bench/RESULTS.md's CPU figures.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CANDIDATES, meshResources } from './lib/candidates.mjs'
import { wrk } from './lib/load.mjs'
import { startControl } from './lib/mesh.mjs'
import { BENCH, ROOT, installExitHandlers, log, stop } from './lib/procs.mjs'
import { ensureTools, machine } from './lib/tools.mjs'
import { startUpstream } from './lib/upstream.mjs'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, only: { type: 'string', default: 'undici-stream,gateway-node,sidecar-node' } } })
const SECONDS = Number(args.seconds)
const OUT = join(BENCH, 'out', 'profiles')

/** A call frame's bucket: what kind of code it is. Order matters: the first match wins. */
const BUCKETS = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['V8/native, outside JS (program)', (f) => f.functionName === '(program)'],
  ['Weft core (routing, stages, filters)', (f) => /\/dist\/core\//.test(f.url)],
  ['Weft gateway/sidecar (per-request glue)', (f) => /\/dist\/(gateway|worker-proxy)\//.test(f.url)],
  ['Weft Node adapter (server, upstream)', (f) => /\/dist\/runtime\//.test(f.url)],
  ['undici (upstream client)', (f) => /undici/.test(f.url)],
  ['node:http server (parse, response)', (f) => /node:_http_(server|incoming|outgoing|common)/.test(f.url)],
  ['node streams, net, timers, events', (f) => /node:(internal\/streams|_stream|stream|net|internal\/timers|events|internal\/net|internal\/stream_base)/.test(f.url)],
  ['other node internals', (f) => f.url.startsWith('node:')],
  ['bench proxy script', (f) => /\/bench\/proxies\//.test(f.url)],
  ['V8 builtins and natives (no URL)', (f) => f.url === ''],
  ['other JS', () => true],
]

function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  // Sample deltas are µs; a sample's time is charged to the node it hit.
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const buckets = new Map(BUCKETS.map(([b]) => [b, 0]))
  const fns = new Map()
  let total = 0
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame
    const bucket = BUCKETS.find(([, test]) => test(f))[0]
    buckets.set(bucket, buckets.get(bucket) + us)
    if (bucket !== 'idle') total += us
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules|bench)\//, '$1/')}:${f.lineNumber + 1}`
    fns.set(key, (fns.get(key) ?? 0) + us)
  }
  const top = [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 15)
  return { busyUs: total, buckets: Object.fromEntries(buckets), top }
}

async function main() {
  installExitHandlers()
  const tools = ensureTools()
  if (!tools.wrk || !tools.nginx) throw new Error('bench/profile.mjs needs wrk and nginx (apt-get install wrk nginx)')
  rmSync(OUT, { recursive: true, force: true })
  const upstream = await startUpstream()
  let mesh = null
  const ctx = { tools, upstream, mesh: async () => (mesh ??= await startControl().then(async (m) => { await m.apply(meshResources(upstream.port)); return m })) }
  const names = args.only.split(',').map((s) => s.trim())
  const results = []
  try {
    for (const name of names) {
      const c = CANDIDATES.find((x) => x.name === name)
      if (!c) throw new Error(`unknown candidate ${name}`)
      if (name.startsWith('sidecar')) await ctx.mesh() // the control plane must not run with the profiler on
      const dir = join(OUT, name)
      mkdirSync(dir, { recursive: true })
      const before = process.env.NODE_OPTIONS
      process.env.NODE_OPTIONS = `${before ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim()
      let t
      try {
        t = await c.start(ctx, c)
      } finally {
        if (before === undefined) delete process.env.NODE_OPTIONS
        else process.env.NODE_OPTIONS = before
      }
      const load = { headers: t.headers ?? {}, path: t.path ?? '/' }
      await wrk(t.port, 2, load)
      const w = await wrk(t.port, SECONDS, load)
      for (const p of t.procs) await stop(p, 15_000)
      const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
      if (file.length !== 1) throw new Error(`${name}: expected one profile in ${dir}, found ${file.length}`)
      const s = summarize(JSON.parse(readFileSync(file[0], 'utf8')))
      // The profile spans warmup and measured load (and startup): per request over both wrk runs.
      const perReq = (us) => us / (w.requests * (1 + 2 / SECONDS))
      results.push({ name, label: c.label, rps: w.rps, requests: w.requests, profile: file[0].replace(ROOT + '/', ''), ...s, perReq: Object.fromEntries(Object.entries(s.buckets).map(([k, v]) => [k, perReq(v)])) })
      log(`${name}: ${Math.round(w.rps)} req/s under the profiler; ${(perReq(s.busyUs)).toFixed(1)} µs/req busy in the profile`)
    }
  } finally {
    if (mesh) await stop(mesh.proc)
    await stop(upstream.proc)
  }
  const m = machine()
  writeFileSync(join(BENCH, 'profile.json'), JSON.stringify({ date: new Date().toISOString(), machine: m, seconds: SECONDS, results }, null, 2) + '\n')
  writeFileSync(join(BENCH, 'PROFILE.md'), render(results, m))
  log('wrote bench/PROFILE.md and bench/profile.json')
}

function render(results, m) {
  const f1 = (x) => (x === undefined ? '—' : x.toFixed(1))
  const buckets = BUCKETS.map(([b]) => b).filter((b) => b !== 'idle' && results.some((r) => r.perReq[b] >= 0.05))
  const L = [
    '# Where the CPU of a request goes (Node)',
    '',
    'Generated by `bench/profile.mjs`; do not edit by hand.',
    '',
    `- ${m.nproc} cores (${m.cpu}); Node ${process.version}; ${new Date().toISOString()}`,
    `- Command: \`node bench/profile.mjs --seconds ${SECONDS} --only ${results.map((r) => r.name).join(',')}\``,
    '- Each candidate alone on core 0 under `--cpu-prof`, `wrk -t1 -c50` from core 1 to the nginx upstream (2 s warmup, then the measured run); self time of every sample put in a bucket by the code it was in, divided by the requests served. The sampling profiler slows the process: read the buckets side by side, not against bench/RESULTS.md.',
    '',
    '## Self time per request, µs, by kind of code',
    '',
    `| bucket | ${results.map((r) => r.label).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
    ...buckets.map((b) => `| ${b} | ${results.map((r) => f1(r.perReq[b])).join(' | ')} |`),
    `| **busy (all but idle)** | ${results.map((r) => `**${f1(r.busyUs / (r.requests * (1 + 2 / SECONDS)))}**`).join(' | ')} |`,
    `| req/s under the profiler | ${results.map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' | ')} |`,
    '',
  ]
  for (const r of results) {
    L.push(`## ${r.label}: heaviest functions (self time)`, '', `Profile: \`${r.profile}\``, '', '| function | µs/req | share of busy |', '| --- | ---: | ---: |')
    const per = r.requests * (1 + 2 / SECONDS)
    for (const [k, us] of r.top) L.push(`| \`${k.replace(/\|/g, '\\|')}\` | ${(us / per).toFixed(2)} | ${((100 * us) / r.busyUs).toFixed(1)} % |`)
    L.push('')
  }
  return L.join('\n')
}

main().catch((err) => {
  console.error(`bench/profile.mjs: ${err.message}`)
  process.exitCode = 1
})
