/**
 * @module
 * `weft gateway`: run one Gateway, from local files (`--config`) or from the control
 * plane's signed bundles (`--control URL --trust jwks.json`).
 *
 * @example
 * weft gateway --config mesh.yaml --gateway default/edge --address 127.0.0.1 --admin 127.0.0.1:15000
 * weft gateway --control http://127.0.0.1:7070 --trust .weft/control/jwks.json --token $T --data .weft/gw --gateway default/edge
 */
import type { Command } from 'commander'
import { UsageError } from './host-port.js'
import { parseRuntime, reexecUnder } from './runtime-exec.js'
import { currentRuntime } from '../runtime/select.js'

export function gatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('run an edge gateway serving one Gateway resource')
    .option('--config <file...>', 'config files (multi-document YAML or JSON); reloaded when they change')
    .requiredOption('--gateway <ns/name>', 'the Gateway resource to serve, as NAMESPACE/NAME')
    .option('--address <ip>', 'IP address to bind every listener on', '0.0.0.0')
    .option('--admin <host:port>', 'admin server (/ready, /config, /stats, /metrics)', '127.0.0.1:15000')
    .option('--control <url>', 'control plane URL (env WEFT_CONTROL_URL): serve the signed bundles it publishes instead of --config')
    .option('--trust <file>', "with --control: the control plane's public JWKS (weft control writes DIR/jwks.json); required, the only keys bundles are verified with")
    .option('--token <token>', 'with --control: the token presented to the control plane (env WEFT_TOKEN; from weft token create --gateway NS/NAME)')
    .option('--data <dir>', 'with --control: where the last-known-good bundle is kept (bundle-<scope>.jws); started from when the control plane is unreachable')
    .option('--runtime <name>', 'run the gateway on node, bun or deno (re-executes weft under that runtime; its binary from node_modules/.bin or PATH)', 'node')
    .addHelpText(
      'after',
      '\nExamples:\n  weft gateway --config mesh.yaml --gateway default/edge --admin 127.0.0.1:15000\n' +
        '  weft gateway --control http://127.0.0.1:7070 --trust .weft/control/jwks.json --token TOKEN --data .weft/gw --gateway default/edge\n' +
        '\nWith --control, /ready answers 200 once a verified bundle (or the one kept in --data) is active.\n' +
        'A bundle that fails verification (signature, key, scope, expiry, version) is refused and the last-known-good keeps serving.\n',
    )
    .action(async (o: { config?: string[]; gateway: string; address: string; admin: string; control?: string; trust?: string; token?: string; data?: string; runtime: string }) => {
      const runtime = parseRuntime(o.runtime)
      const control = o.control ?? (o.config?.length ? undefined : process.env.WEFT_CONTROL_URL)
      if (o.config?.length && o.control) throw new UsageError('--config and --control: give one of them (files, or the control plane)')
      if (!o.config?.length && !control) throw new UsageError('missing --config FILE or --control URL: the gateway needs its config (e.g. --config mesh.yaml)')
      if (control && !o.trust) throw new UsageError("--control needs --trust FILE: the control plane's public JWKS (weft control writes it to DIR/jwks.json); bundles are verified only with keys given at start")
      if (control && !/^https?:\/\//.test(control)) throw new UsageError(`--control ${control}: expected an http:// or https:// URL`)
      if (!/^[^/\s]+\/[^/\s]+$/.test(o.gateway)) throw new UsageError(`--gateway ${o.gateway}: expected NAMESPACE/NAME, e.g. default/edge`)
      if (runtime !== currentRuntime()) process.exit(await reexecUnder(runtime, process.argv))
      // Loaded on use: the data path's modules (zod schemas, undici) cost ~0.5 s to import.
      const { runGateway, ConfigRejected } = await import('../gateway/run.js')
      const { TrustError } = await import('../gateway/control-source.js')
      let gw: Awaited<ReturnType<typeof runGateway>>
      try {
        gw = await runGateway({
          ...(control
            ? { control: { url: control, token: o.token ?? process.env.WEFT_TOKEN, trustFile: o.trust!, dataDir: o.data } }
            : { configFiles: o.config! }),
          gatewayRef: o.gateway,
          address: o.address,
          admin: o.admin,
        })
      } catch (err) {
        if (err instanceof ConfigRejected) {
          console.error(`weft gateway: ${err.message}`)
          process.exit(1)
        }
        if (err instanceof TrustError) throw new UsageError(err.message)
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
