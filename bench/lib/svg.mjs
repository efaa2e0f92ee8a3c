// bench/results.svg: two horizontal bar panels (proxy CPU µs per request at saturation;
// p99 latency added per hop at the fixed rate), one bar per candidate. No dependency.
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

function panel(rows, { x, y, width, title, unit, value, digits }) {
  const bar = 18
  const labelW = 250
  const vals = rows.map(value).filter((v) => v != null && Number.isFinite(v))
  const max = Math.max(1e-9, ...vals.map((v) => Math.max(0, v)))
  const out = [`<text x="${x}" y="${y}" font-weight="bold">${esc(title)}</text>`]
  rows.forEach((r, i) => {
    const v = value(r)
    const top = y + 12 + i * (bar + 6)
    out.push(`<text x="${x + labelW - 6}" y="${top + 13}" text-anchor="end">${esc(r.label.replace(/`/g, ''))}</text>`)
    if (v == null || !Number.isFinite(v)) {
      out.push(`<text x="${x + labelW + 4}" y="${top + 13}" fill="#888">n/a</text>`)
      return
    }
    const w = Math.max(1, (Math.max(0, v) / max) * (width - labelW - 80))
    const colour = /^Weft|^two hops/.test(r.label) ? '#2b6cb0' : '#a0aec0'
    out.push(`<rect x="${x + labelW}" y="${top}" width="${w.toFixed(1)}" height="${bar}" fill="${colour}"/>`)
    out.push(`<text x="${(x + labelW + w + 4).toFixed(1)}" y="${top + 13}">${v.toFixed(digits)} ${unit}</text>`)
  })
  return { svg: out.join('\n'), height: 12 + rows.length * (bar + 6) + 24 }
}

export function resultsSvg(report) {
  const rows = report.summary.filter((s) => s.candidate !== 'direct')
  const width = 760
  const a = panel(rows, { x: 10, y: 60, width, title: 'Proxy CPU per request at saturation (µs, lower is better)', unit: 'µs', value: (r) => r.cpuUsPerReq, digits: 1 })
  const b = panel(rows, { x: 10, y: 60 + a.height + 10, width, title: `p99 latency added per hop at ${report.config.rate} req/s (ms, lower is better)`, unit: 'ms', value: (r) => r.addedP99, digits: 2 })
  const height = 60 + a.height + 10 + b.height + 10
  const sub = `${report.config.quick ? 'SMOKE RUN (not results) · ' : ''}${report.machine.nproc} cores, ${report.machine.cpu} · ${report.machine.date.slice(0, 10)} · medians of ${report.config.sweeps} sweep(s)`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">Weft pass-through benchmark</text>
<text x="10" y="34" fill="#555">${esc(sub)}</text>
${a.svg}
${b.svg}
</svg>
`
}
