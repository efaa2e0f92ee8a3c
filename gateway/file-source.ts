/**
 * @module
 * Config from local files (`weft gateway --config FILE...`): read them, and call back
 * whenever one changes. Editors save by rename, so the directory is watched, not the
 * file; a slow stat poll backs fs.watch up on file systems where it misses events.
 *
 * @example
 * const stop = watchFiles(['mesh.yaml'], () => reload())
 */
import { readFile, stat } from 'node:fs/promises'
import { watch, type FSWatcher } from 'node:fs'
import { dirname, basename, resolve } from 'node:path'

export async function readConfigFiles(paths: string[]): Promise<{ name: string; text: string }[]> {
  return Promise.all(
    paths.map(async (p) => {
      try {
        return { name: p, text: await readFile(p, 'utf8') }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new Error(`cannot read config file ${p}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
      }
    }),
  )
}

/** Call `onChange` (debounced) when any of `paths` changes. Returns a function that stops watching. */
export function watchFiles(paths: string[], onChange: () => void, opts: { debounceMs?: number; pollMs?: number } = {}): () => void {
  const debounceMs = opts.debounceMs ?? 50
  let timer: NodeJS.Timeout | undefined
  const fire = () => {
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  }
  const abs = paths.map((p) => resolve(p))
  const watchers: FSWatcher[] = []
  for (const dir of new Set(abs.map(dirname))) {
    const names = new Set(abs.filter((p) => dirname(p) === dir).map((p) => basename(p)))
    try {
      const w = watch(dir, (_event, file) => {
        if (file === null || names.has(file.toString())) fire()
      })
      w.on('error', () => {}) // the poll below still notices changes
      watchers.push(w)
    } catch {
      // fall back to polling only
    }
  }
  const mtimes = new Map<string, number>()
  const poll = setInterval(async () => {
    for (const p of abs) {
      const m = await stat(p).then((s) => s.mtimeMs, () => -1)
      const before = mtimes.get(p)
      mtimes.set(p, m)
      if (before !== undefined && before !== m) fire()
    }
  }, opts.pollMs ?? 1000)
  poll.unref()
  return () => {
    clearTimeout(timer)
    clearInterval(poll)
    for (const w of watchers) w.close()
  }
}
