// The scenarios beyond pass-through (issue 6): route-table size, latency during bundle
// swaps under load, and the control plane at scale (bench/control.mjs, run as a child).
import { join } from 'node:path'
import { PROXY_CORE, openloop, wrk } from './load.mjs'
import { BENCH, cpuMicros, log, run, stop } from './procs.mjs'
import { get, sleep, waitFor } from './net.mjs'
import { startGateway } from './candidates.mjs'
import { startSidecar } from './mesh.mjs'

export const ROUTE_SIZES = [10, 1000, 10_000]

/**
 * CPU per request of `weft gateway` with 10 / 1,000 / 10,000 HTTPRoutes (one PathPrefix
 * rule each), every request matching the last route. Sizes interleaved across sweeps.
 */
export async function routeTables(ctx, runtimes, o) {
  const samples = []
  const failed = new Set()
  for (let sweep = 0; sweep < o.sweeps; sweep++) {
    for (let k = 0; k < ROUTE_SIZES.length; k++) {
      const routes = ROUTE_SIZES[(k + sweep) % ROUTE_SIZES.length]
      for (const rt of runtimes) {
        if (failed.has(rt)) continue
        let c
        try {
          c = await startGateway(ctx, rt, routes)
          if (o.warmup) await wrk(c.port, o.warmup, { path: c.path })
          const pids = c.procs.map((p) => p.pid)
          const cpu0 = cpuMicros(pids)
          const w = await wrk(c.port, o.duration, { path: c.path })
          const cpu = cpuMicros(pids) - cpu0
          samples.push({ runtime: rt, routes, sweep: sweep + 1, rps: w.rps, cpuUsPerReq: cpu / w.requests, errors: w.non2xx + w.socketErrors })
          log(`routes ${String(routes).padStart(5)} ${rt.padEnd(4)} ${Math.round(w.rps)} req/s  cpu ${(cpu / w.requests).toFixed(1)} µs/req`)
        } catch (err) {
          log(`routes: gateway on ${rt} failed: ${String(err.message).split('\n')[0]}`)
          failed.add(rt)
          samples.push({ runtime: rt, routes, sweep: sweep + 1, failed: String(err.message).split('\n').slice(0, 3).join(' | ').slice(0, 300) })
        } finally {
          for (const p of c?.procs ?? []) await stop(p)
        }
      }
    }
  }
  let micro = null
  const r = await run('router.mjs', 'taskset', ['-c', PROXY_CORE, process.execPath, join(BENCH, 'router.mjs')])
  if (r.code === 0) micro = r.out.trim()
  else log(`bench/router.mjs failed: ${r.out.slice(-500)}`)
  return { samples, micro }
}

const gammaRoute = (v) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'bench-swap', namespace: 'default' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'bench-upstream' }],
    rules: [{ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-bench-v', value: String(v) }] } }], backendRefs: [{ name: 'bench-upstream', port: 80 }] }],
  },
})

/**
 * A sidecar under open-loop load (1,000 req/s): a window without changes, then a window
 * during which 50 changes are applied through the control plane (each one a new signed
 * bundle the sidecar verifies and swaps in). p50/p99/p99.9 and errors of both windows,
 * swaps the sidecar counted, and when it served the last version.
 */
export async function bundleSwaps(ctx, runtime, o) {
  const mesh = await ctx.mesh()
  await mesh.apply([gammaRoute(0)])
  const sc = await startSidecar(mesh, runtime, 'bench-client', ctx.upstream.port, `weft proxy (${runtime}, swaps)`)
  try {
    const headers = { Host: 'bench-upstream' }
    await waitFor('sidecar serves the route', sc.proc, async () => (await get(sc.outbound, '/', headers)).headers?.['x-bench-v'] === '0')
    const stats = async () => JSON.parse((await get(sc.admin, '/stats')).body || '{}')
    const baseline = await openloop(sc.outbound, { rate: o.rate, seconds: o.seconds, warmup: 1, headers })
    const before = await stats()
    const applies = []
    let servedLastMs = null
    const swapping = (async () => {
      await sleep(1000) // after the generator's warmup
      const gap = ((o.seconds - 1) * 1000) / o.swaps
      for (let i = 1; i <= o.swaps; i++) {
        const t = performance.now()
        await mesh.apply([gammaRoute(i)])
        applies.push(performance.now() - t)
        if (i < o.swaps) await sleep(Math.max(0, gap - (performance.now() - t)))
      }
      // How long after the last apply returned the sidecar serves that version (polled, under load).
      const t = performance.now()
      await waitFor('sidecar serves the last version', sc.proc, async () => (await get(sc.outbound, '/', headers)).headers?.['x-bench-v'] === String(o.swaps), 10_000)
      servedLastMs = performance.now() - t
    })()
    const during = await openloop(sc.outbound, { rate: o.rate, seconds: o.seconds, warmup: 1, headers })
    await swapping
    const after = await stats()
    return { runtime, rate: o.rate, seconds: o.seconds, swapsApplied: o.swaps, swapsSeen: (after.swaps ?? NaN) - (before.swaps ?? NaN), rejections: (after.rejections ?? 0) - (before.rejections ?? 0), applyMsMedian: applies.sort((a, b) => a - b)[applies.length >> 1], servedLastMs, baseline, during }
  } finally {
    await stop(sc.proc)
    await mesh.remove([{ kind: 'HTTPRoute', namespace: 'default', name: 'bench-swap' }]).catch((err) => log(`removing the swap route: ${err.message}`))
  }
}

/** bench/control.mjs as a child: convergence of long-polling proxies and compile+sign at scale. */
export async function controlPlane(o) {
  // Both cores (the data path is stopped by then): run.mjs itself is pinned to the load core.
  const r = await run('control.mjs', 'taskset', ['-c', '0,1', process.execPath, join(BENCH, 'control.mjs'), '--applies', String(o.applies), '--proxies', String(o.proxies), '--services', String(o.services)])
  if (r.code !== 0) throw new Error(`bench/control.mjs exited with ${r.code}:\n${r.out.slice(-1500)}`)
  return { ...o, ...parseControl(r.out) }
}

/** The figures in bench/control.mjs's output (a line that does not parse is null: the targets table then lacks it). */
export function parseControl(out) {
  const conv = /convergence: .*?p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms/.exec(out)
  const scale = /apply of (\d+) resources ([\d.]+) s; compile \+ sign (\d+) bundles .*?, (\d+) MB in all[^)]*\) ([\d.]+) s; control peak RSS (\d+) MB/.exec(out)
  return {
    output: out.trim(),
    convergence: conv ? { p50: Number(conv[1]), p99: Number(conv[2]), max: Number(conv[3]) } : null,
    scale: scale ? { resources: Number(scale[1]), applyS: Number(scale[2]), bundles: Number(scale[3]), mb: Number(scale[4]), signS: Number(scale[5]), peakRssMb: Number(scale[6]) } : null,
  }
}
