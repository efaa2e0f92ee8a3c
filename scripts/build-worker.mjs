#!/usr/bin/env node
// Bundle the Workers entries with esbuild into dist/worker/: gateway/worker.ts →
// dist/worker/gateway.js, worker-proxy/worker.ts → dist/worker/worker-proxy.js. One ES
// module each, with the portable core, jose (its Web Crypto build), zod and yaml inside;
// what the platform provides (`cloudflare:*`, `node:*` under nodejs_compat) stays
// external. `wrangler deploy` runs this as its [build] command; tests and
// `npm run dev:worker` call `buildWorkers()`.
//
//   node scripts/build-worker.mjs            # writes dist/worker/*.js
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ENTRIES = { gateway: 'gateway/worker.ts', 'worker-proxy': 'worker-proxy/worker.ts' }

/**
 * Bundle the entries. With `write: false` nothing is written and the code comes back
 * (tests keep it in memory, so parallel runs never race on dist/).
 * @returns {Promise<Record<string, string>>} the code of each entry by name
 */
export async function buildWorkers({ write = true, outdir = join(ROOT, 'dist/worker') } = {}) {
  const out = {}
  await Promise.all(
    Object.entries(ENTRIES).map(async ([name, entry]) => {
      const r = await build({
        entryPoints: [join(ROOT, entry)],
        outfile: join(outdir, `${name}.js`),
        bundle: true,
        format: 'esm',
        platform: 'neutral',
        target: 'es2022',
        // jose, zod, yaml: their browser/worker builds (Web Crypto, no node: imports).
        conditions: ['workerd', 'worker', 'browser', 'import', 'default'],
        mainFields: ['browser', 'module', 'main'],
        external: ['cloudflare:*', 'node:*'],
        write,
        logLevel: 'warning',
        legalComments: 'none',
        banner: { js: `// Weft ${name} Worker: built by scripts/build-worker.mjs from ${entry}; do not edit.` },
      })
      out[name] = write ? '' : r.outputFiles[0].text
    }),
  )
  return out
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWorkers()
  for (const name of Object.keys(ENTRIES)) console.log(`built dist/worker/${name}.js`)
}
