/**
 * Two projects:
 * - `unit`: every `*.test.ts` under the source folders and `test/` (except
 *   `test/conformance/`); files run in parallel and bind only ephemeral ports.
 * - `conformance`: `test/conformance/`, the only files that bind the Gateway API
 *   manifests' own ports (80, 443, 8080, 8090) on 127.0.0.x. They run after `unit`
 *   (groupOrder) and one file at a time, inside the private network namespace that
 *   `npm test` (scripts/test.mjs) creates.
 */
import { defineConfig } from 'vitest/config'

const roots = ['core', 'runtime', 'gateway', 'control', 'worker-proxy', 'cli', 'test']
const exclude = ['**/node_modules/**', '**/dist/**']

export default defineConfig({
  test: {
    exclude,
    projects: [
      {
        test: {
          name: 'unit',
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: [...exclude, 'test/conformance/**'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          exclude,
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
