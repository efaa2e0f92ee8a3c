/**
 * @module
 * The `weft` command line (commander). Each subcommand lives in its own file under
 * cli/. Exit status: 0 ok, 1 rejected config, 2 usage or connection error.
 *
 * @example
 * weft gateway --help
 */
import { Command, CommanderError } from 'commander'
import { gatewayCommand } from './gateway.js'
import { devCommand } from './dev.js'
import { demoAppCommand } from './demo-app.js'
import { controlCommand } from './control.js'
import { applyCommand } from './apply.js'
import { deleteCommand } from './delete.js'
import { tokenCommand } from './token.js'
import { statusCommand } from './status.js'
import { proxyCommand } from './proxy.js'
import { CommandExit } from './control-client.js'
import { UsageError } from './host-port.js'

export async function main(argv: string[]): Promise<number | void> {
  const program = new Command('weft')
    .description('Weft: a service mesh in TypeScript — one portable proxy for the edge and every service')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
  gatewayCommand(program)
  devCommand(program)
  demoAppCommand(program)
  controlCommand(program)
  applyCommand(program)
  deleteCommand(program)
  tokenCommand(program)
  statusCommand(program)
  proxyCommand(program)
  for (const c of program.commands) c.exitOverride()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (err instanceof CommandExit) {
      console.error(err.exitCode === 1 ? err.message : `weft: ${err.message}`)
      return err.exitCode
    }
    if (err instanceof UsageError) {
      console.error(`weft: ${err.message}`)
      return 2
    }
    console.error(`weft: ${err instanceof Error ? err.message : String(err)}`)
    return 2
  }
}
