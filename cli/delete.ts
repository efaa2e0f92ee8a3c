/**
 * @module
 * `weft delete -f FILE...` or `weft delete KIND NS/NAME`: remove resources from the
 * mesh config. Nothing is removed when any of them does not exist (exit 1).
 *
 * @example
 * weft delete HTTPRoute default/canary --data .weft/control
 * weft delete -f canary.yaml
 */
import type { Command } from 'commander'
import { printResult, readConfigFiles, rejection } from './apply.js'
import { addControlFlags, CommandExit, controlRequest, type ControlFlags } from './control-client.js'
import { UsageError } from './host-port.js'

export function deleteCommand(program: Command): void {
  addControlFlags(
    program
      .command('delete')
      .description('remove resources from the mesh config: those in FILEs, or one named KIND NS/NAME')
      .argument('[kind]', 'resource kind, e.g. HTTPRoute, Service, Gateway, Namespace')
      .argument('[name]', 'NAMESPACE/NAME (a Namespace: just NAME; no namespace means default)')
      .option('-f, --file <file...>', 'delete every resource these files name (kind, namespace, name)')
      .option('--dry-run', 'check and print what would be removed; remove nothing'),
  )
    .addHelpText('after', '\nExit status: 0 deleted, 1 rejected (e.g. a resource does not exist), 2 usage or connection error.\n\nExamples:\n  weft delete HTTPRoute default/canary --data .weft/control\n  weft delete -f canary.yaml\n')
    .action(async (kind: string | undefined, name: string | undefined, o: ControlFlags & { file?: string[]; dryRun?: boolean }) => {
      let body: unknown
      if (o.file?.length) {
        if (kind) throw new UsageError('give either -f FILE or KIND NS/NAME, not both')
        body = { files: readConfigFiles(o.file) }
      } else {
        if (!kind || !name) throw new UsageError('what to delete: -f FILE, or KIND NAMESPACE/NAME (e.g. weft delete HTTPRoute default/web)')
        const parts = name.split('/')
        if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`${name}: expected NAMESPACE/NAME or NAME`)
        const id = parts.length === 2 ? { kind, namespace: parts[0]!, name: parts[1]! } : { kind, name: parts[0]! }
        body = { resources: [id] }
      }
      const res = await controlRequest(o, 'POST', `/v1/config/delete${o.dryRun ? '?dryRun=true' : ''}`, body)
      if (res.status !== 200) throw new CommandExit(await rejection(res.body), 1)
      printResult(res.body, o.dryRun ? 'dry run' : 'deleted')
    })
}
