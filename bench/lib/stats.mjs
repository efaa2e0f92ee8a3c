// Medians over interleaved sweeps. Latency added by a proxy is taken per sweep (the
// candidate's percentile minus the direct run's in the same sweep, divided by the hops)
// and then the median of those, so a sweep disturbed by other load compares with itself.
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

export function spread(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x))
  return v.length < 2 ? null : { min: Math.min(...v), max: Math.max(...v) }
}

export function summarize(candidates, samples) {
  const direct = new Map(samples.filter((s) => s.candidate === 'direct').map((s) => [s.sweep, s]))
  const out = []
  for (const c of candidates) {
    const s = samples.filter((x) => x.candidate === c.name)
    if (!s.length) continue
    const added = (k) => s.map((x) => {
      const d = direct.get(x.sweep)
      return d && x.ol && d.ol && x.candidate !== 'direct' ? (x.ol[k] - d.ol[k]) / (x.hops ?? 1) : null
    })
    out.push({
      candidate: c.name, label: c.label, sweeps: s.length, hops: s[0].hops ?? 1,
      rps: median(s.map((x) => x.rps)),
      cpuUsPerReq: median(s.map((x) => x.cpuUsPerReq)),
      olCpuUsPerReq: median(s.map((x) => x.olCpuUsPerReq)),
      upstreamCpuUsPerReq: median(s.map((x) => x.upstreamCpuUsPerReq)),
      rssMb: median(s.map((x) => x.rssMb)),
      p50: median(s.map((x) => x.ol?.p50)),
      p99: median(s.map((x) => x.ol?.p99)),
      p999: median(s.map((x) => x.ol?.p999)),
      addedP50: median(added('p50')),
      addedP99: median(added('p99')),
      addedP999: median(added('p999')),
      errors: s.reduce((a, x) => a + (x.errors ?? 0) + (x.ol?.errors ?? 0), 0),
      rpsSpread: spread(s.map((x) => x.rps)),
      cpuSpread: spread(s.map((x) => x.cpuUsPerReq)),
      p99Spread: spread(s.map((x) => x.ol?.p99)),
    })
  }
  return out
}

export function summarizeRoutes(samples) {
  const out = []
  for (const rt of [...new Set(samples.map((s) => s.runtime))]) {
    const row = { runtime: rt, cpu: {}, rps: {}, failed: samples.find((s) => s.runtime === rt && s.failed)?.failed ?? null }
    for (const n of [...new Set(samples.map((s) => s.routes))]) {
      const s = samples.filter((x) => x.runtime === rt && x.routes === n && !x.failed)
      row.cpu[n] = median(s.map((x) => x.cpuUsPerReq))
      row.rps[n] = median(s.map((x) => x.rps))
    }
    out.push(row)
  }
  return out
}
