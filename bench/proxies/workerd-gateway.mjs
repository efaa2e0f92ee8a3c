// Weft's gateway Worker (gateway/worker.ts, bundled by scripts/build-worker.mjs) under
// workerd, started through Miniflare, serving the same config as `weft gateway --config`
// given inline (WEFT_CONFIG, no control plane). Requests go straight to workerd's own
// socket; this node process only starts it, so run.mjs measures the workerd process.
//   node bench/proxies/workerd-gateway.mjs --port PORT --config FILE --gateway NS/NAME
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { buildWorkers } from '../../scripts/build-worker.mjs'

const { values } = parseArgs({ options: { port: { type: 'string' }, config: { type: 'string' }, gateway: { type: 'string' } } })
if (!values.port || !values.config || !values.gateway) {
  console.error('usage: node workerd-gateway.mjs --port PORT --config FILE --gateway NS/NAME')
  process.exit(2)
}
// The same compatibility settings as wrangler.toml deploys with.
const wrangler = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8')
const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(wrangler)?.[1] ?? '2026-04-01'
const compatibilityFlags = JSON.parse(/compatibility_flags\s*=\s*(\[[^\]]*\])/.exec(wrangler)?.[1] ?? '["nodejs_als"]')

const code = await buildWorkers({ write: false })
const mf = new Miniflare({
  host: '127.0.0.1',
  port: Number(values.port),
  log: new Log(LogLevel.WARN),
  cf: false,
  workers: [{
    name: 'weft-gateway', modules: true, script: code.gateway, compatibilityDate, compatibilityFlags,
    kvNamespaces: ['WEFT_BUNDLES'],
    bindings: { WEFT_CONFIG: readFileSync(values.config, 'utf8'), WEFT_GATEWAY: values.gateway },
  }],
})
await mf.ready
console.log(`ready ${values.port}`)
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => mf.dispose().finally(() => process.exit(0)))
