/**
 * @module
 * Crash-safe file writes: write a temp file next to the target, fsync it, rename it
 * over the target, fsync the directory. A crash at any point leaves either the old
 * file or the new one, never a mix.
 *
 * @example
 * writeFileAtomic('/var/lib/weft/state.json', JSON.stringify(state))
 * writeFileAtomic('/var/lib/weft/admin-token', token, 0o600)
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, data)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
