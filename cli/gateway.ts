/**
 * @module
 * `weft gateway`: run one Gateway. From local files now (`--config`); from the control
 * plane (`--control`) once it exists.
 *
 * @example
 * weft gateway --config mesh.yaml --gateway default/edge --address 127.0.0.1 --admin 127.0.0.1:15000
 */
import type { Command } from 'commander'
import { UsageError } from './host-port.js'

export function gatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('run an edge gateway serving one Gateway resource')
    .option('--config <file...>', 'config files (multi-document YAML or JSON); reloaded when they change')
    .requiredOption('--gateway <ns/name>', 'the Gateway resource to serve, as NAMESPACE/NAME')
    .option('--address <ip>', 'IP address to bind every listener on', '0.0.0.0')
    .option('--admin <host:port>', 'admin server (/ready, /config, /stats, /metrics)', '127.0.0.1:15000')
    .option('--control <url>', 'control plane URL (env WEFT_CONTROL_URL); not available yet: use --config')
    .option('--runtime <name>', 'runtime to run the proxy on (node only for now)', 'node')
    .addHelpText('after', '\nExample:\n  weft gateway --config mesh.yaml --gateway default/edge --admin 127.0.0.1:15000\n')
    .action(async (o: { config?: string[]; gateway: string; address: string; admin: string; control?: string; runtime: string }) => {
      if (o.runtime !== 'node') throw new UsageError(`--runtime ${o.runtime}: only node is available in this version`)
      if (!o.config?.length) {
        throw new UsageError(
          o.control || process.env.WEFT_CONTROL_URL
            ? '--control: the control plane is not part of this version yet; run the gateway from files with --config FILE'
            : 'missing --config FILE: the gateway needs its config (e.g. --config mesh.yaml)',
        )
      }
      if (!/^[^/\s]+\/[^/\s]+$/.test(o.gateway)) throw new UsageError(`--gateway ${o.gateway}: expected NAMESPACE/NAME, e.g. default/edge`)
      // Loaded on use: the data path's modules (zod schemas, undici) cost ~0.5 s to import.
      const { runGateway, ConfigRejected } = await import('../gateway/run.js')
      let gw: Awaited<ReturnType<typeof runGateway>>
      try {
        gw = await runGateway({ configFiles: o.config, gatewayRef: o.gateway, address: o.address, admin: o.admin })
      } catch (err) {
        if (err instanceof ConfigRejected) {
          console.error(`weft gateway: ${err.message}`)
          process.exit(1)
        }
        throw err
      }
      await waitForSignal()
      await gw.close()
    })
}

/** Resolve on SIGINT/SIGTERM; a second signal exits at once. */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.once(sig, () => process.exit(130))
      resolve(sig)
    }
    process.once('SIGINT', () => on('SIGINT'))
    process.once('SIGTERM', () => on('SIGTERM'))
  })
}
