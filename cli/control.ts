/**
 * @module
 * `weft control`: run the control service (store, keys, tokens and CA in `--data DIR`).
 *
 * @example
 * weft control --data .weft/control --listen 127.0.0.1:7070
 */
import type { Command } from 'commander'
import { parseHostPort, UsageError } from './host-port.js'
import { waitForSignal } from './gateway.js'

export function controlCommand(program: Command): void {
  program
    .command('control')
    .description('run the control service: holds the mesh config, signs per-proxy bundles and serves the Control API')
    .requiredOption('--data <dir>', 'state directory: config store and history, signing key, jwks.json, admin-token, token secret (created if missing)')
    .option('--listen <host:port>', 'address of the Control API', '127.0.0.1:7070')
    .option('--bundle-lifetime <seconds>', 'seconds a signed bundle stays valid (expiresAt - issuedAt)', '86400')
    .addHelpText(
      'after',
      [
        '',
        'The admin token is WEFT_ADMIN_TOKEN when set, else generated on first start into DIR/admin-token (mode 0600).',
        'Proxies trust DIR/jwks.json (pass it as --trust); it is also served at /.well-known/jwks.json.',
        '',
        'Example:',
        '  weft control --data .weft/control --listen 127.0.0.1:7070',
        '',
      ].join('\n'),
    )
    .action(async (o: { data: string; listen: string; bundleLifetime: string }) => {
      const { address, port } = parseHostPort(o.listen, '--listen')
      const lifetime = Number(o.bundleLifetime)
      if (!Number.isInteger(lifetime) || lifetime < 60) throw new UsageError(`--bundle-lifetime ${o.bundleLifetime}: expected a whole number of seconds, at least 60`)
      const { startControl } = await import('../control/run.js')
      const control = await startControl({ dataDir: o.data, address, port, bundleLifetimeSeconds: lifetime })
      console.log(`weft control listening on ${control.url} (config version ${control.store.version})`)
      console.log(`  admin token  ${control.adminTokenFile ?? 'WEFT_ADMIN_TOKEN (from the environment)'}`)
      console.log(`  trust anchor ${control.jwksFile}  (also ${control.url}/.well-known/jwks.json)`)
      await waitForSignal()
      await control.close()
    })
}
