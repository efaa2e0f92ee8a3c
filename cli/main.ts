/**
 * @module
 * The `weft` command line (commander). Each subcommand lives in its own file under cli/.
 */
import { Command } from 'commander'

export async function main(argv: string[]): Promise<number | void> {
  const program = new Command('weft').description('Weft service mesh').exitOverride()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    const e = err as { exitCode?: number; code?: string }
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0
    return typeof e.exitCode === 'number' ? 2 : 2
  }
}
