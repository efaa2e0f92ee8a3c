#!/usr/bin/env node
// Route lookup cost against the size of the route table: compile a Gateway with N
// HTTPRoutes (10, 1,000, 10,000; each a PathPrefix plus a header-matched Exact rule,
// spread over 10 hostnames and a catch-all) and time the lookup of the listener and the
// rule for a fixed mix of requests. Run after `npm run build`:
//   node bench/router.mjs
import { performance } from 'node:perf_hooks'
import { compileGateway } from '../dist/core/routing/compile-gateway.js'
import { lookupByHostname } from '../dist/core/routing/hostname.js'
import { matchRoute } from '../dist/core/routing/route-table.js'
import { parseQuery } from '../dist/core/routing/conditions.js'

function config(n) {
  const meta = (name) => ({ name, namespace: 'default', labels: {} })
  const route = (i) => ({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(`r${i}`),
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'edge' }],
      hostnames: i % 11 === 10 ? [] : [`host${i % 11}.example.com`],
      rules: [
        { matches: [{ path: { type: 'Exact', value: `/svc-${i}/health` }, headers: [{ type: 'Exact', name: 'x-probe', value: '1' }], queryParams: [] }], filters: [], backendRefs: [] },
        { matches: [{ path: { type: 'PathPrefix', value: `/svc-${i}` }, headers: [], queryParams: [] }], filters: [], backendRefs: [] },
      ],
    },
  })
  return {
    namespaces: [], secrets: [], referenceGrants: [], services: [],
    gateways: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('edge'),
      spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] } }],
    httpRoutes: Array.from({ length: n }, (_, i) => route(i)),
  }
}

const upstream = { send: async () => ({ status: 200, headers: {}, body: null }), mirror() {}, async close() {} }
const rows = []
for (const n of [10, 1000, 10000]) {
  const cfg = config(n)
  const t0 = performance.now()
  const compiled = compileGateway(cfg, 'default/edge', { config: cfg, upstream })
  const compileMs = performance.now() - t0
  const port = compiled.ports.get(80)
  const reqs = Array.from({ length: 64 }, (_, k) => {
    const i = (k * 7919) % n
    return { host: i % 11 === 10 ? 'other.example.com' : `host${i % 11}.example.com`, path: k % 2 ? `/svc-${i}/items/42` : `/svc-${i}/health`, headers: k % 4 === 0 ? { 'x-probe': '1' } : {}, query: '' }
  })
  let found = 0
  const lookup = (r) => {
    const l = lookupByHostname(port.listeners, r.host)
    let q
    if (matchRoute(l.routes, r.host, 'GET', r.path, r.headers, () => (q ??= parseQuery(r.query)))) found++
  }
  for (let i = 0; i < 200_000; i++) lookup(reqs[i & 63])
  found = 0
  const N = 1_000_000
  const t1 = performance.now()
  for (let i = 0; i < N; i++) lookup(reqs[i & 63])
  const ns = ((performance.now() - t1) * 1e6) / N
  if (found !== N) throw new Error(`only ${found} of ${N} lookups matched`)
  rows.push({ routes: n, compileMs: compileMs.toFixed(1), lookupNs: ns.toFixed(0) })
}
console.log('| routes | compile (ms) | lookup per request (ns) |\n| ---: | ---: | ---: |')
for (const r of rows) console.log(`| ${r.routes} | ${r.compileMs} | ${r.lookupNs} |`)
