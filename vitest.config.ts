/**
 * Projects:
 * - `unit`: every `*.test.ts` under the source folders and `test/` (except the
 *   conformance files below); files run in parallel and bind only ephemeral ports.
 *   This includes the cross-runtime black-box suite (`test/runtimes/`), one file per
 *   runtime, each starting its own real gateway and sidecar processes.
 * - `conformance-node`, `conformance-bun`, `conformance-deno`: the Gateway API
 *   conformance (`test/conformance/`) and the mesh conformance through real
 *   `weft proxy` processes, with the gateways/sidecars under test started with
 *   `--runtime R` (`WEFT_TEST_RUNTIME`). The Gateway API files bind the manifests'
 *   own ports (80, 443, 8080, 8090) on 127.0.0.x, so these projects run one after
 *   another (groupOrder), after `unit`, one file at a time, inside the private network
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

export default defineConfig({
  test: {
    exclude,
    reporters: ['default', './test/support/capability-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: [...exclude, ...conformanceFiles],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
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
          sequence: { groupOrder: 1 + i },
        },
      })),
    ],
  },
})
