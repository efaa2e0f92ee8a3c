/**
 * Projects:
 * - `unit`: every `*.test.ts` under the source folders and `test/` (except the
 *   files below); files run in parallel (three at a time) and bind only ephemeral ports.
 *   This includes the cross-runtime black-box suite (`test/runtimes/`), one file per
 *   runtime, each starting its own real gateway and sidecar processes.
 * - `timing`: the few files that bound latencies, after `unit`, one at a time.
 * - `conformance-node`, `conformance-bun`, `conformance-deno`: the Gateway API
 *   conformance (`test/conformance/`) and the mesh conformance through real
 *   `weft proxy` processes, with the gateways/sidecars under test started with
 *   `--runtime R` (`WEFT_TEST_RUNTIME`). The Gateway API files bind the manifests'
 *   own ports (80, 443, 8080, 8090) on 127.0.0.x, so these projects run one after
 *   another (groupOrder), after `timing`, one file at a time, inside the private network
 *   namespace that `npm test` (scripts/test.mjs) creates.
 *
 * The capability reporter (test/support/capability-reporter.ts) collects the
 * `[cap RUNTIME CELL]` titles into docs/capabilities.json and re-renders the README table.
 */
import { defineConfig } from 'vitest/config'

const roots = ['core', 'runtime', 'gateway', 'control', 'worker-proxy', 'cli', 'test']
const exclude = ['**/node_modules/**', '**/dist/**']
const conformanceFiles = ['test/conformance/**/*.test.ts', 'test/integration/sidecar-mesh-conformance.test.ts']
const RUNTIMES = ['node', 'bun', 'deno'] as const
/**
 * Files that bound latencies (a change reaches 100 long-polling clients in well under a
 * second, an apply runs in under a second, a 3 s registration lease renewed in time) or
 * count file-watch reloads: run alone, after `unit`, so the other files' processes do
 * not take their CPU.
 */
const timingFiles = [
  'test/integration/bundle-fanout.test.ts',
  'test/integration/bundle-control.test.ts',
  'test/integration/gateway-reload.test.ts',
  'test/integration/sidecar.test.ts',
  // weft dev binds the gateway port it was given only after its control plane and three
  // sidecars are up: among parallel files another socket took that port once.
  'test/integration/dev.test.ts',
  // 40 MiB HTTP/2 transfers through Deno's node:http2: 3 s alone, but among parallel
  // files a stream stalled past its 30 s bound (twice in full runs).
  'runtime/deno/h2.test.ts',
  // 500 ms route-timeout cases against workerd: a workerd starting next to them made them flaky.
  'test/workers/conformance.test.ts',
]

export default defineConfig({
  test: {
    exclude,
    reporters: ['default', './test/support/capability-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: [...exclude, ...conformanceFiles, ...timingFiles],
          // vitest's default on 2 cores is one file at a time; these files mostly wait
          // on real processes and sockets, so three at a time keeps both cores busy.
          maxWorkers: 3,
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'timing',
          include: timingFiles,
          exclude,
          fileParallelism: false,
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
      ...RUNTIMES.map((runtime, i) => ({
        test: {
          name: `conformance-${runtime}`,
          include: conformanceFiles,
          exclude,
          env: { WEFT_TEST_RUNTIME: runtime },
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 2 + i },
        },
      })),
    ],
  },
})
