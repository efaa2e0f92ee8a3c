#!/usr/bin/env node
// `npm run dev:worker`: the gateway Worker, bundled from source, running locally under
// Miniflare (a real workerd process) against the control plane of `weft dev`. It takes
// the trust anchor (jwks.json) and the admin token from weft dev's directory, asks the
// control plane for a gateway token, keeps the verified bundle in a persisted KV
// (DIR/worker-kv), prints where to send requests, and stops on Ctrl-C.
//
//   npm run dev:worker [-- --port 8787] [--control http://127.0.0.1:7070] [--dir .weft/dev] [--gateway default/edge]
import { parseArgs } from 'node:util'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Miniflare, Log, LogLevel } from 'miniflare'
import { buildWorkers } from './build-worker.mjs'

const USAGE = 'usage: npm run dev:worker [-- --port 8787] [--control URL] [--dir .weft/dev] [--gateway NS/NAME]'
let args
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      control: { type: 'string', default: process.env.WEFT_CONTROL_URL || 'http://127.0.0.1:7070' },
      dir: { type: 'string', default: '.weft/dev' },
      gateway: { type: 'string', default: 'default/edge' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values
} catch (err) {
  console.error(`${err.message}\n${USAGE}`)
  process.exit(2)
}
if (args.help) {
  console.log(`${USAGE}

Runs the gateway Worker (gateway/worker.ts) under Miniflare against weft dev's control plane.
  --port      where the Worker listens on 127.0.0.1 (default 8787; 0 = any free port)
  --control   the control plane (default $WEFT_CONTROL_URL or http://127.0.0.1:7070)
  --dir       weft dev's directory: control/jwks.json and control/admin-token are read from it (default .weft/dev)
  --gateway   the Gateway the Worker serves (default default/edge)`)
  process.exit(0)
}

const fail = (msg) => {
  console.error(`dev:worker: ${msg}`)
  process.exit(1)
}
const control = args.control.replace(/\/$/, '')
const dir = resolve(args.dir)
const notRunning = `Start it in another terminal first:\n  npm start            (or: npx weft dev)\nthen run npm run dev:worker again. (Another control plane: --control URL --dir ITS_DIR.)`

// 1. weft dev's control plane must be up.
const health = await fetch(`${control}/healthz`, { signal: AbortSignal.timeout(3000) }).catch((err) => err)
if (!(health instanceof Response) || !health.ok) fail(`weft dev is not running: no control plane answers at ${control} (${health instanceof Response ? `HTTP ${health.status}` : health.cause?.code ?? health.message}).\n${notRunning}`)

// 2. Its trust anchor and admin token, from its directory (never from the network the bundles come by).
const read = (file, what) =>
  readFile(join(dir, 'control', file), 'utf8').catch(() => fail(`cannot read ${what} ${join(dir, 'control', file)}: is weft dev running with --dir ${args.dir}?\n${notRunning}`))
const jwks = await read('jwks.json', 'the trust anchor')
const adminToken = process.env.WEFT_ADMIN_TOKEN || (await read('admin-token', 'the admin token')).trim()

// 3. A token for this gateway's scope.
const tokenRes = await fetch(`${control}/v1/tokens`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ gateway: args.gateway }),
}).catch((err) => fail(`POST ${control}/v1/tokens: ${err.message}`))
if (tokenRes.status !== 200) fail(`POST ${control}/v1/tokens: HTTP ${tokenRes.status} ${await tokenRes.text()}`)
const { token, scope } = await tokenRes.json()

// 4. Bundle the Workers, start the gateway Worker.
await buildWorkers()
const script = await readFile(new URL('../dist/worker/gateway.js', import.meta.url), 'utf8')
const mf = new Miniflare({
  host: '127.0.0.1',
  port: Number(args.port),
  log: new Log(LogLevel.WARN),
  handleRuntimeStdio(stdout, stderr) {
    const prefix = (b) => process.stdout.write(String(b).trimEnd().split('\n').map((l) => `  [worker] ${l}\n`).join(''))
    stdout.on('data', prefix)
    stderr.on('data', prefix)
  },
  // Miniflare's placeholder request.cf; never fetched from Cloudflare.
  cf: false,
  kvPersist: join(dir, 'worker-kv'),
  modules: true,
  script,
  compatibilityDate: '2026-04-01',
  compatibilityFlags: ['nodejs_als'], // as wrangler.toml
  kvNamespaces: ['WEFT_BUNDLES'],
  bindings: { WEFT_CONTROL_URL: control, WEFT_TRUST_JWKS: jwks, WEFT_TOKEN: token, WEFT_GATEWAY: args.gateway, WEFT_ADMIN: 'open', WEFT_BUNDLE_MAX_AGE: '2' },
})
let url
try {
  url = (await mf.ready).href.replace(/\/$/, '')
} catch (err) {
  await mf.dispose().catch(() => {})
  fail(`Miniflare did not start: ${err.message}${err.message.includes('EADDRINUSE') || /address/i.test(err.message) ? ` (is port ${args.port} taken? try --port 0)` : ''}`)
}
// The first bundle, so the banner only shows once the Worker serves.
const refreshed = await (await fetch(`${url}/__weft/refresh`, { method: 'POST' })).json().catch(() => ({}))

console.log(`
The Weft gateway Worker is running under Miniflare (workerd), fed by ${control} (scope ${scope}).
  gateway Worker  ${url}          serving Gateway ${args.gateway}, bundle version ${refreshed.version ?? '?'}
  admin           ${url}/__weft/ready  /stats  /metrics  /config  (POST /refresh)
  KV              ${join(dir, 'worker-kv')}   (the verified bundle, kept across restarts)

Try:
  curl -s ${url}/                      # through the Worker to web, with web's call to api
  curl -s ${url}/__weft/stats          # bundle version, refreshes, last error
  weft apply -f ${join(args.dir, 'split-50-50.yaml')}   # the Worker picks it up within ~2 s of traffic (or the next cron)

Ctrl-C stops it.`)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await mf.dispose()
  process.exit(0)
}
// Miniflare installs exit hooks that exit at once on a signal; Ctrl-C here disposes it first (workerd gone), then exits 0.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.removeAllListeners(sig)
  process.on(sig, stop)
}
