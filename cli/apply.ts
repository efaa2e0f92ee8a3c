/**
 * @module
 * `weft apply -f FILE...`: validate and push config to the control plane (upsert by
 * kind, namespace and name); `--dry-run` validates and prints the diff only.
 * Exit status: 0 applied, 1 rejected (every error printed), 2 usage or connection error.
 *
 * @example
 * weft apply -f mesh.yaml --control http://127.0.0.1:7070 --data .weft/control
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import type { ConfigIssue } from '../core/config/types.js'
import { addControlFlags, CommandExit, controlRequest, type ControlFlags } from './control-client.js'
import { UsageError } from './host-port.js'

export function applyCommand(program: Command): void {
  addControlFlags(
    program
      .command('apply')
      .description('validate and apply config files to the control plane (kubectl-style upsert)')
      .requiredOption('-f, --file <file...>', 'config files or directories (multi-document YAML or JSON; a directory: its *.yaml, *.yml, *.json)')
      .option('--dry-run', 'validate against the current config and print the diff; apply nothing'),
  )
    .addHelpText('after', '\nExit status: 0 applied, 1 rejected (every error printed), 2 usage or connection error.\n\nExample:\n  weft apply -f mesh.yaml --data .weft/control\n')
    .action(async (o: ControlFlags & { file: string[]; dryRun?: boolean }) => {
      const files = readConfigFiles(o.file)
      const res = await controlRequest(o, 'POST', `/v1/config${o.dryRun ? '?dryRun=true' : ''}`, { files })
      if (res.status !== 200) throw new CommandExit(await rejection(res.body), 1)
      printResult(res.body, o.dryRun ? 'dry run' : 'applied')
    })
}

export function readConfigFiles(paths: string[]): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = []
  for (const p of paths) {
    let st
    try {
      st = statSync(p)
    } catch (err) {
      throw new UsageError(`-f ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
    }
    const names = st.isDirectory() ? readdirSync(p).filter((n) => /\.(ya?ml|json)$/.test(n)).sort().map((n) => join(p, n)) : [p]
    for (const name of names) out.push({ name, text: readFileSync(name, 'utf8') })
  }
  return out
}

/** Every error the Control API returned, one per line. */
export async function rejection(body: Record<string, unknown>): Promise<string> {
  // Loaded on use: the config loader pulls in the zod schemas (~0.5 s), which `weft --help` should not pay for.
  const { formatIssue } = await import('../core/config/load.js')
  const errors = Array.isArray(body.errors) ? (body.errors as ConfigIssue[]) : []
  const lines = errors.map((e) => `  ${formatIssue({ ...e, file: e.file ?? 'request' })}`)
  return [`rejected: ${String(body.message ?? body.error)}`, ...lines].join('\n')
}

export function printResult(body: Record<string, unknown>, verb: string): void {
  const d = (body.diff ?? { added: [], changed: [], removed: [] }) as { added: string[]; changed: string[]; removed: string[] }
  for (const k of d.added) console.log(`  + ${k}`)
  for (const k of d.changed) console.log(`  ~ ${k}`)
  for (const k of d.removed) console.log(`  - ${k}`)
  if (verb === 'dry run') console.log(body.changed ? `dry run: valid; would become version ${Number(body.version) + 1}` : `dry run: valid; no changes (version ${String(body.version)})`)
  else console.log(body.changed ? `${verb}: version ${String(body.version)}` : `unchanged: version ${String(body.version)}`)
}
