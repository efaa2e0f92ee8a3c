#!/usr/bin/env node
// Control-plane benchmark (issue 4): run a real `weft control` and measure
//  1. convergence: time from `POST /v1/config` returning to each of 100 long-polling
//     proxies holding (and verifying) the new bundle — p50/p99 over several applies;
//  2. scale: compile + sign bundles for 1,000 Services / 2,000 proxies (1,000 sidecar
//     scopes + 1,000 gateway scopes, spread over 20 namespaces), each fetched once as a
//     proxy does (Accept-Encoding: gzip, as every runtime's fetch sends); wall time, bytes
//     on the wire, and the control process's peak RSS. Sidecars of a namespace share one
//     signed bundle (docs/bundles.md), so the namespace count is part of the setup.
// Run after `npm run build`:  node bench/control.mjs [--applies 5] [--proxies 100] [--services 1000] [--namespaces 20]
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { compactVerify, createLocalJWKSet } from 'jose'
import { Agent, request } from 'undici'

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def }
const APPLIES = arg('applies', 5)
const PROXIES = arg('proxies', 100)
const SERVICES = arg('services', 1000)
const NAMESPACES = arg('namespaces', 20)
const TOKEN = 'bench-admin-token'
const bin = new URL('../bin/weft.js', import.meta.url).pathname

const freePort = () => new Promise((ok) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)) }) })
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] }

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-control-'))
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const proc = spawn(process.execPath, [...(process.env.WEFT_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.WEFT_BENCH_PROF] : []), bin, 'control', '--data', dir, '--listen', `127.0.0.1:${port}`], { env: { ...process.env, WEFT_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'inherit'] })
const stop = () => { try { process.kill(proc.pid, process.env.WEFT_BENCH_PROF ? 'SIGINT' : 'SIGKILL') } catch {} ; rmSync(dir, { recursive: true, force: true }) }
process.on('SIGINT', () => { stop(); process.exit(130) })
const agent = new Agent({ connections: 256, headersTimeout: 120_000, bodyTimeout: 120_000 })
const auth = { authorization: `Bearer ${TOKEN}` }

async function api(method, path, body) {
  const r = await request(`${base}${path}`, { method, dispatcher: agent, headers: { ...auth, 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  const text = await r.body.text()
  if (r.statusCode >= 400) throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`)
  return text
}

try {
  for (let i = 0; ; i++) {
    if (await request(`${base}/healthz`, { dispatcher: agent }).then((r) => r.body.text().then(() => r.statusCode === 200), () => false)) break
    if (i > 200) throw new Error('weft control did not start')
    await new Promise((r) => setTimeout(r, 50))
  }
  const jwks = createLocalJWKSet(JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8')))
  const meta = (name) => ({ name, namespace: 'default' })
  const gw = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('edge'), spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] } }
  const route = (v) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('web'), spec: { parentRefs: [{ name: 'edge' }], rules: [{ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-v', value: String(v) }] } }], backendRefs: [{ name: 'web', port: 80 }] }] } })
  const svc = (name) => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: meta(name), spec: { ports: [{ port: 80 }], endpoints: [{ address: '127.0.0.1', port: 9 }] } })
  await api('POST', '/v1/config', { resources: [gw, route(0), svc('web')] })

  // 1. Convergence: PROXIES long-pollers on the gateway scope.
  const scope = 'gateway.default.edge'
  const current = async () => JSON.parse(await api('GET', '/healthz')).version
  const lat = []
  for (let a = 1; a <= APPLIES; a++) {
    const v = await current()
    let applied = 0
    const pollers = Array.from({ length: PROXIES }, async () => {
      const r = await request(`${base}/v1/bundles/${scope}?wait=30`, { dispatcher: agent, headers: { ...auth, 'if-none-match': `"${v}"` } })
      const jws = await r.body.text()
      if (r.statusCode !== 200) throw new Error(`long-poll answered ${r.statusCode}`)
      const { payload } = await compactVerify(jws, jwks, { algorithms: ['EdDSA'] })
      const got = JSON.parse(new TextDecoder().decode(payload)).version
      if (got <= v) throw new Error(`stale bundle ${got}`)
      lat.push(performance.now() - applied)
    })
    await new Promise((r) => setTimeout(r, 300)) // every poller is now waiting
    await api('POST', '/v1/config', { resources: [route(a)] })
    applied = performance.now()
    await Promise.all(pollers)
  }
  console.log(`convergence: ${PROXIES} long-polling proxies × ${APPLIES} applies: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms after the apply returned (bundle received and signature verified)`)

  // 2. Scale: 1,000 Services with a GAMMA route each, then every scope's bundle.
  const many = []
  const nsOf = (i) => `ns-${i % NAMESPACES}`
  for (let i = 0; i < SERVICES; i++) {
    const m = { name: `svc-${i}`, namespace: nsOf(i) }
    many.push({ ...svc(`svc-${i}`), metadata: m })
    many.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: m, spec: { parentRefs: [{ group: '', kind: 'Service', name: `svc-${i}` }], rules: [{ backendRefs: [{ name: `svc-${i}`, port: 80 }] }] } })
  }
  many.push(...Array.from({ length: SERVICES }, (_, i) => ({ ...gw, metadata: { name: `gw-${i}`, namespace: nsOf(i) } })))
  let t = performance.now()
  await api('POST', '/v1/config', { resources: many })
  const applyMs = performance.now() - t
  const scopes = [...Array.from({ length: SERVICES }, (_, i) => `sidecar.${nsOf(i)}.svc-${i}`), ...Array.from({ length: SERVICES }, (_, i) => `gateway.${nsOf(i)}.gw-${i}`)]
  let peak = rssMb(proc.pid)
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(proc.pid))), 50)
  t = performance.now()
  let bytes = 0
  const sample = new Map() // one fetched bundle per payload scope, verified after the clock stops
  for (let i = 0; i < scopes.length; i += 16) {
    await Promise.all(scopes.slice(i, i + 16).map(async (s) => {
      const r = await request(`${base}/v1/bundles/${s}`, { dispatcher: agent, headers: { ...auth, 'accept-encoding': 'gzip' } })
      const body = Buffer.from(await r.body.arrayBuffer())
      if (r.statusCode !== 200) throw new Error(`${s}: ${r.statusCode}`)
      bytes += body.byteLength
      const bundleScope = s.startsWith('sidecar.') ? s.replace(/\.[^.]+$/, '.*') : s
      if (!sample.has(bundleScope)) sample.set(bundleScope, { body, gzip: r.headers['content-encoding'] === 'gzip' })
    }))
  }
  const signMs = performance.now() - t
  clearInterval(sampler)
  // Decompressing is the proxy's work, not the control plane's: done after the clock stopped, once per distinct bundle.
  for (const [s, { body, gzip }] of sample) {
    const jws = gzip ? gunzipSync(body).toString() : body.toString()
    const { payload } = await compactVerify(jws, jwks, { algorithms: ['EdDSA'] })
    if (JSON.parse(new TextDecoder().decode(payload)).scope !== s) throw new Error(`bundle of ${s}: wrong scope`)
  }
  console.log(`scale: apply of ${many.length} resources ${(applyMs / 1000).toFixed(2)} s; compile + sign ${scopes.length} bundles (${SERVICES} sidecar + ${SERVICES} gateway scopes in ${NAMESPACES} namespaces, ${sample.size} distinct signed bundles, ${(bytes / 1048576).toFixed(0)} MB in all on the wire, gzip) ${(signMs / 1000).toFixed(2)} s; control peak RSS ${peak.toFixed(0)} MB`)
} finally {
  await agent.close()
  stop()
}
