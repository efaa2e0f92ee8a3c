// Reading a .cpuprofile (Node's V8 and Bun's JavaScriptCore write the same format: a
// call tree of nodes, and samples with time deltas): self time by kind of code, the
// heaviest functions, and a flame graph as a standalone SVG.

/** A call frame's bucket: what kind of code it is. Order matters: the first match wins. */
export const BUCKETS = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['V8/native, outside JS (program)', (f) => f.functionName === '(program)'],
  ['Weft core (routing, stages, filters)', (f) => /\/dist\/core\//.test(f.url)],
  ['Weft gateway/sidecar (per-request glue)', (f) => /\/dist\/(gateway|worker-proxy)\//.test(f.url)],
  ['Weft runtime adapter (server, upstream)', (f) => /\/dist\/runtime\//.test(f.url)],
  ['undici (upstream client)', (f) => /undici/.test(f.url)],
  ['node:http server (parse, response)', (f) => /node:_http_(server|incoming|outgoing|common)|^node:http$/.test(f.url)],
  ['node streams, net, timers, events', (f) => /node:(internal\/streams|_stream|stream|net|internal\/timers|events|internal\/net|internal\/stream_base)/.test(f.url)],
  ['other node internals', (f) => f.url.startsWith('node:') || f.url.startsWith('internal:')],
  ['bench proxy script', (f) => /\/bench\/proxies\//.test(f.url)],
  ['builtins and natives (no URL)', (f) => f.url === '' || f.url === '[native code]'],
  ['other JS', () => true],
]
const bucketOf = (f) => BUCKETS.find(([, test]) => test(f))[0]

/** Self time (µs) of each node id. */
function selfTimes(profile) {
  const self = new Map()
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0))
  return self
}

const frameName = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules|bench)\//, '$1/')}:${f.lineNumber + 1}`

/** { busyUs, buckets: {bucket: µs}, top: [[function, µs]...] }; idle is not busy. */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const buckets = new Map(BUCKETS.map(([b]) => [b, 0]))
  const fns = new Map()
  let busyUs = 0
  for (const [id, us] of selfTimes(profile)) {
    const f = byId.get(id).callFrame
    const bucket = bucketOf(f)
    buckets.set(bucket, buckets.get(bucket) + us)
    if (bucket === 'idle') continue
    busyUs += us
    const key = frameName(f)
    fns.set(key, (fns.get(key) ?? 0) + us)
  }
  const top = [...fns].sort((a, b) => b[1] - a[1]).slice(0, 15)
  return { busyUs, buckets: Object.fromEntries(buckets), top }
}

const COLORS = {
  GC: '#d62728', 'V8/native, outside JS (program)': '#7f7f7f', 'Weft core (routing, stages, filters)': '#2ca02c',
  'Weft gateway/sidecar (per-request glue)': '#98df8a', 'Weft runtime adapter (server, upstream)': '#17becf',
  'undici (upstream client)': '#9467bd', 'node:http server (parse, response)': '#ff7f0e', 'node streams, net, timers, events': '#ffbb78',
  'other node internals': '#c49c94', 'bench proxy script': '#bcbd22', 'builtins and natives (no URL)': '#aec7e8', 'other JS': '#e377c2',
}
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * A flame graph of the busy time (idle left out): the root at the bottom, callees above
 * their callers, width ∝ total time; colour by bucket; hover shows the frame and its share.
 */
export function flameSvg(profile, title, width = 1200) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = selfTimes(profile)
  const total = new Map()
  const sum = (id) => {
    const n = byId.get(id)
    if (n.callFrame.functionName === '(idle)') return total.set(id, 0).get(id)
    let t = self.get(id) ?? 0
    for (const c of n.children ?? []) t += sum(c)
    total.set(id, t)
    return t
  }
  const root = profile.nodes[0].id
  const all = sum(root)
  const rows = []
  let depthMax = 0
  const lay = (id, x, depth) => {
    const t = total.get(id)
    const w = (t / all) * width
    if (w < 0.3) return
    depthMax = Math.max(depthMax, depth)
    rows.push({ f: byId.get(id).callFrame, x, depth, w, share: t / all })
    let cx = x
    for (const c of byId.get(id).children ?? []) {
      lay(c, cx, depth + 1)
      cx += (total.get(c) / all) * width
    }
  }
  lay(root, 0, 0)
  const H = 16
  const top = 40
  const height = top + (depthMax + 1) * H + 10
  const y = (d) => top + (depthMax - d) * H
  const L = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="16" font-size="13">${esc(title)}</text>`,
    `<text x="4" y="32" fill="#555">width = share of busy CPU time (idle left out); colour = kind of code (bench/lib/cpuprofile.mjs BUCKETS); hover for names</text>`]
  for (const r of rows) {
    const name = r.depth === 0 ? 'all' : frameName(r.f)
    const label = r.w > 40 ? esc(name.slice(0, Math.floor(r.w / 6.6))) : ''
    L.push(`<g><title>${esc(name)} — ${(100 * r.share).toFixed(1)} %</title><rect x="${r.x.toFixed(1)}" y="${y(r.depth)}" width="${Math.max(0.3, r.w - 0.5).toFixed(1)}" height="${H - 1}" fill="${r.depth === 0 ? '#ddd' : COLORS[bucketOf(r.f)]}"/>${label ? `<text x="${(r.x + 2).toFixed(1)}" y="${y(r.depth) + 11}">${label}</text>` : ''}</g>`)
  }
  L.push('</svg>')
  return L.join('\n') + '\n'
}
