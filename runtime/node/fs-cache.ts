/**
 * @module
 * The bundle cache on disk (`--data DIR`): `DIR/bundle-<scope>.jws`, replaced
 * atomically — written to a temporary file, fsynced, renamed over the old one, and the
 * directory fsynced — so a crash leaves either the old bundle or the new one.
 *
 * @example
 * const cache = fsBundleCache('/var/lib/weft', 'gateway.default.edge')
 * await cache.save(jws)
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { BundleCache } from '../../core/bundle/cache.js'

export function fsBundleCache(dir: string, scope: string): BundleCache & { path: string } {
  const path = join(dir, `bundle-${scope}.jws`)
  return {
    path,
    async load() {
      try {
        return await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async save(jws) {
      await mkdir(dir, { recursive: true })
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
      const fh = await open(tmp, 'w', 0o600)
      try {
        await fh.writeFile(jws)
        await fh.sync()
      } finally {
        await fh.close()
      }
      try {
        await rename(tmp, path)
      } catch (err) {
        await unlink(tmp).catch(() => {})
        throw err
      }
      const d = await open(dir, 'r').catch(() => undefined)
      if (d) await d.sync().catch(() => {}).finally(() => d.close())
    },
  }
}
