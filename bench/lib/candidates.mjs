// The candidates of the pass-through benchmark. Each `start(ctx)` brings one up on
// 127.0.0.1, pinned to the proxy core, forwarding to the nginx upstream, and returns
// { procs, port, headers }: the processes whose CPU and RSS are the candidate's, the port
// to load and the headers every request carries (a sidecar needs the destination in Host).
// A candidate that cannot start throws; run.mjs reports it and goes on.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROXY_CORE } from './load.mjs'
import { BENCH, ROOT, descendants, profileFlags, readComm, start, tmpDir } from './procs.mjs'
import { freePort, probe, waitFor } from './net.mjs'
import { service, startSidecar, startWeft } from './mesh.mjs'
import { startNginx } from './upstream.mjs'

const BIN = (name) => join(ROOT, 'node_modules', '.bin', name)

/** A Gateway `default/bench` on `listenPort` with `routes` HTTPRoutes to the upstream; the last one is /r{routes-1}. */
export function gatewayConfig(listenPort, upstreamPort, routes = 1) {
  const L = [`# written by bench/run.mjs
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bench, namespace: default }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: ${listenPort}, protocol: HTTP }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: bench-upstream, namespace: default }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 127.0.0.1, port: ${upstreamPort} }]`]
  for (let i = 0; i < routes; i++) {
    const path = routes === 1 ? '/' : `/r${i}`
    L.push(`---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r${i}, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs: [{ name: bench-upstream, port: 80 }]`)
  }
  return L.join('\n') + '\n'
}

/** `weft gateway --config` under `runtime`; `routes` > 1 for the route-table scenario (requests go to the last route). */
export async function startGateway(ctx, runtime, routes = 1, env = {}) {
  const port = await freePort()
  const dir = tmpDir('weft-bench-gw-')
  const file = join(dir, 'bench.yaml')
  writeFileSync(file, gatewayConfig(port, ctx.upstream.port, routes))
  const admin = await freePort()
  const proc = await startWeft(`weft gateway (${runtime})`, runtime, ['gateway', '--config', file, '--gateway', 'default/bench', '--address', '127.0.0.1', '--admin', `127.0.0.1:${admin}`], undefined, env)
  const path = routes === 1 ? '/' : `/r${routes - 1}/item`
  await probe(`weft gateway (${runtime})`, proc, port, {}, path)
  return { procs: [proc], port, path }
}

/**
 * Weft's gateway Worker under workerd (Miniflare starts it; requests go to workerd's own
 * socket). Measured: the workerd process only, not the node launcher (Miniflare is the
 * local harness; on Cloudflare there is none).
 */
async function startWorkerdGateway(ctx) {
  const port = await freePort()
  const dir = tmpDir('weft-bench-workerd-')
  const file = join(dir, 'bench.yaml')
  writeFileSync(file, gatewayConfig(port, ctx.upstream.port))
  const proc = start('workerd gateway', 'taskset', ['-c', PROXY_CORE, process.execPath, join(BENCH, 'proxies', 'workerd-gateway.mjs'), '--port', String(port), '--config', file, '--gateway', 'default/bench'])
  await waitFor('workerd gateway listening', proc, async () => proc.output().includes(`ready ${port}`), 60_000)
  await probe('workerd gateway', proc, port)
  const workerd = descendants(proc.pid).filter((p) => readComm(p)?.startsWith('workerd'))
  if (!workerd.length) throw new Error('workerd gateway: no workerd process under the launcher')
  return { procs: [proc], pids: workerd, port }
}

async function startScript(name, cmd, argv, ctx) {
  const port = await freePort()
  const proc = start(name, 'taskset', ['-c', PROXY_CORE, cmd, ...argv, '--port', String(port), '--upstream', `127.0.0.1:${ctx.upstream.port}`])
  await waitFor(`${name} listening`, proc, async () => proc.output().includes(`ready ${port}`))
  await probe(name, proc, port)
  return { procs: [proc], port }
}

const nodeScript = (file) => (ctx, c) => startScript(c.name, process.execPath, [...profileFlags(), join(BENCH, 'proxies', file)], ctx)

async function startNginxProxy(ctx) {
  const { proc, port } = await startNginx({
    name: 'nginx proxy',
    what: 'nginx as a reverse proxy, one process, upstream keep-alive',
    core: PROXY_CORE,
    http: (port) => `  upstream up { server 127.0.0.1:${ctx.upstream.port}; keepalive 64; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }`,
  })
  return { procs: [proc], port }
}

async function startHaproxy(ctx) {
  const port = await freePort()
  const dir = tmpDir('weft-bench-haproxy-')
  const conf = join(dir, 'haproxy.cfg')
  writeFileSync(conf, `# written by bench/run.mjs: HAProxy, one thread, server-side keep-alive
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 65s
  timeout server 65s
  timeout http-keep-alive 65s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server up 127.0.0.1:${ctx.upstream.port}
`)
  const proc = start('haproxy', 'taskset', ['-c', PROXY_CORE, 'haproxy', '-db', '-f', conf])
  await probe('haproxy', proc, port)
  return { procs: [proc], port }
}

/** A sidecar's outbound listener, destination Service `bench-upstream` (static endpoint = nginx) in Host. */
async function startSidecarCandidate(ctx, runtime) {
  const mesh = await ctx.mesh()
  const sc = await startSidecar(mesh, runtime, 'bench-client', ctx.upstream.port)
  const headers = { Host: 'bench-upstream' }
  await probe(`weft proxy (${runtime})`, sc.proc, sc.outbound, headers)
  return { procs: [sc.proc], port: sc.outbound, headers }
}

/** Two hops: the caller's sidecar (outbound) → the callee's sidecar (inbound, registered with the control plane) → nginx. */
async function startTwoHop(ctx, runtime) {
  const mesh = await ctx.mesh()
  const callee = await startSidecar(mesh, runtime, 'bench-hop', ctx.upstream.port)
  const caller = await startSidecar(mesh, runtime, 'bench-client', ctx.upstream.port)
  const headers = { Host: 'bench-hop' }
  // The caller routes to bench-hop once its bundle lists the callee's registration.
  await probe(`two hops (${runtime})`, [caller.proc, callee.proc], caller.outbound, headers)
  return { procs: [caller.proc, callee.proc], port: caller.outbound, headers, hops: 2 }
}

/** The Services the sidecar candidates route to. */
export const meshResources = (upstreamPort) => [
  service('bench-upstream', [{ address: '127.0.0.1', port: upstreamPort }]),
  service('bench-client'),
  service('bench-hop'),
]

export const CANDIDATES = [
  { name: 'direct', label: 'upstream hit directly', start: async (ctx) => ({ procs: [], port: ctx.upstream.port }) },
  { name: 'nginx', label: 'nginx (1 worker, upstream keep-alive)', start: startNginxProxy, needs: 'nginx' },
  { name: 'haproxy', label: 'HAProxy (1 thread)', start: startHaproxy, needs: 'haproxy' },
  { name: 'http-proxy', label: 'node http-proxy', start: nodeScript('http-proxy.mjs') },
  { name: 'undici-stream', label: 'node:http + undici `Pool.stream`', start: nodeScript('undici-stream.mjs') },
  { name: 'bun-fetch', label: '`Bun.serve` + fetch', start: (ctx, c) => startScript(c.name, BIN('bun'), [...profileFlags(), 'run', join(BENCH, 'proxies', 'fetch-proxy.mjs')], ctx) },
  { name: 'deno-fetch', label: '`Deno.serve` + fetch', start: (ctx, c) => startScript(c.name, BIN('deno'), ['run', '--allow-net', join(BENCH, 'proxies', 'fetch-proxy.mjs')], ctx) },
  ...['node', 'bun', 'deno'].map((rt) => ({ name: `gateway-${rt}`, label: `Weft gateway on ${rt}`, weft: rt, start: (ctx) => startGateway(ctx, rt) })),
  { name: 'gateway-workerd', label: 'Weft gateway Worker on workerd', weft: 'workerd', start: startWorkerdGateway },
  ...['node', 'bun', 'deno'].map((rt) => ({ name: `sidecar-${rt}`, label: `Weft sidecar on ${rt}`, weft: rt, start: (ctx) => startSidecarCandidate(ctx, rt) })),
  ...['node', 'bun', 'deno'].map((rt) => ({ name: `two-hop-${rt}`, label: `two hops sidecar → sidecar on ${rt}`, weft: rt, group: 'two-hop', start: (ctx) => startTwoHop(ctx, rt) })),
  // The Node data-path candidates of the earlier decision (issue 2): run with --only.
  { name: 'undici-request', label: 'node:http + undici `Pool.request`', extra: true, start: nodeScript('undici-request.mjs') },
  { name: 'node-http', label: 'node:http + `http.request` keep-alive Agent', extra: true, start: nodeScript('node-http.mjs') },
  { name: 'hono-fetch', label: 'hono on `@hono/node-server` + fetch', extra: true, start: nodeScript('hono-fetch.mjs') },
  // Memory for CPU: V8's young generation capped at 2 MB semi-spaces (default 16 MB on 64-bit), set
  // the way a user would (NODE_OPTIONS); the RSS target's trade-off, measured.
  { name: 'gateway-node-semi2', label: 'Weft gateway on node, `--max-semi-space-size=2`', weft: 'node', extra: true, start: (ctx) => startGateway(ctx, 'node', 1, { NODE_OPTIONS: '--max-semi-space-size=2' }) },
]
