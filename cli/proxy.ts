/**
 * @module
 * `weft proxy`: run the sidecar of one service instance (worker-proxy/run.ts), fed by
 * the control plane's signed bundles.
 *
 * @example
 * weft proxy --service api --app http://127.0.0.1:3000 --control http://127.0.0.1:7070 --trust .weft/control/jwks.json --token $T
 */
import type { Command } from 'commander'
import { UsageError } from './host-port.js'
import { waitForSignal } from './gateway.js'
import { parseRuntime, reexecUnder } from './runtime-exec.js'
import { currentRuntime } from '../runtime/select.js'

interface ProxyFlags {
  service: string
  namespace: string
  app: string
  control?: string
  trust?: string
  inbound: string
  outbound: string
  advertise?: string
  admin: string
  token?: string
  data?: string
  instance?: string
  lease: string
  drainGrace: string
  runtime: string
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function proxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('run a sidecar for one service instance, fed by the control plane')
    .requiredOption('--service <name>', 'the Service this instance belongs to')
    .option('--namespace <ns>', 'namespace of the Service (and of the calls the app makes)', 'default')
    .requiredOption('--app <url>', 'the local app inbound requests go to, e.g. http://127.0.0.1:3000')
    .option('--control <url>', 'control plane URL (env WEFT_CONTROL_URL)')
    .option('--trust <file>', "the control plane's public JWKS (weft control writes DIR/jwks.json); the only keys bundles are verified with")
    .option('--inbound <host:port>', "where peers' sidecars reach this instance", '0.0.0.0:15006')
    .option('--outbound <host:port>', "where the app sends its calls (HTTP_PROXY, or the destination in Host)", '127.0.0.1:15001')
    .option('--advertise <host:port>', 'address registered for peers to reach this instance (default: the inbound one)')
    .option('--admin <host:port>', 'admin server (/ready, /config, /stats, /metrics)', '127.0.0.1:15000')
    .option('--token <token>', 'token presented to the control plane (env WEFT_TOKEN; from weft token create --service NAME)')
    .option('--data <dir>', 'where the last-known-good bundle is kept; started from when the control plane is unreachable')
    .option('--instance <id>', 'instance id registered with the control plane (default SERVICE-HOST-PID)')
    .option('--lease <seconds>', 'registration lease; renewed every third of it', '15')
    .option('--drain-grace <ms>', 'on stop: how long to keep serving after deregistering, while peers drop this instance', '1000')
    .option('--runtime <name>', 'run the sidecar on node, bun or deno (re-executes weft under that runtime; its binary from node_modules/.bin or PATH)', 'node')
    .addHelpText(
      'after',
      '\nExample:\n  weft proxy --service api --app http://127.0.0.1:3000 --control http://127.0.0.1:7070 --trust .weft/control/jwks.json --token TOKEN\n' +
        '\n/ready answers 200 once a verified bundle (or the one kept in --data) is active.\n' +
        'SIGTERM/SIGINT: deregister, keep serving for --drain-grace while peers drop this instance,\n' +
        'then stop accepting and drain requests in flight (up to 10 s); exit 0.\n',
    )
    .action(async (o: ProxyFlags) => {
      const runtime = parseRuntime(o.runtime)
      const control = o.control ?? process.env.WEFT_CONTROL_URL
      if (!control) throw new UsageError('missing --control URL (or WEFT_CONTROL_URL): the sidecar gets its config from the control plane')
      if (!/^https?:\/\//.test(control)) throw new UsageError(`--control ${control}: expected an http:// or https:// URL`)
      if (!o.trust) throw new UsageError("missing --trust FILE: the control plane's public JWKS (weft control writes it to DIR/jwks.json); bundles are verified only with keys given at start")
      if (!DNS_LABEL.test(o.service)) throw new UsageError(`--service ${o.service}: expected a lower-case DNS label, e.g. api`)
      if (!DNS_LABEL.test(o.namespace)) throw new UsageError(`--namespace ${o.namespace}: expected a lower-case DNS label, e.g. default`)
      const lease = Number(o.lease)
      if (!Number.isInteger(lease) || lease < 1 || lease > 300) throw new UsageError(`--lease ${o.lease}: expected whole seconds between 1 and 300`)
      if (o.instance !== undefined && !/^[A-Za-z0-9][-A-Za-z0-9_.:]{0,252}$/.test(o.instance)) throw new UsageError(`--instance ${o.instance}: letters, digits, - _ . : (at most 253)`)
      const grace = Number(o.drainGrace)
      if (!Number.isInteger(grace) || grace < 0 || grace > 60_000) throw new UsageError(`--drain-grace ${o.drainGrace}: expected milliseconds between 0 and 60000`)
      if (runtime !== currentRuntime()) process.exit(await reexecUnder(runtime, process.argv))
      const { runSidecar } = await import('../worker-proxy/run.js')
      const { TrustError } = await import('../gateway/control-source.js')
      let sc: Awaited<ReturnType<typeof runSidecar>>
      try {
        sc = await runSidecar({
          service: o.service,
          namespace: o.namespace,
          app: o.app,
          control: { url: control, token: o.token ?? process.env.WEFT_TOKEN, trustFile: o.trust, dataDir: o.data },
          inbound: o.inbound,
          outbound: o.outbound,
          admin: o.admin,
          leaseSeconds: lease,
          deregisterGraceMs: grace,
          ...(o.advertise !== undefined && { advertise: o.advertise }),
          ...(o.instance !== undefined && { instance: o.instance }),
        })
      } catch (err) {
        if (err instanceof TrustError) throw new UsageError(err.message)
        if (err instanceof Error && /^--(app|inbound|outbound|admin|advertise) /.test(err.message)) throw new UsageError(err.message)
        throw err
      }
      const sig = await waitForSignal()
      console.error(`[weft proxy ${o.namespace}/${o.service}] ${sig}: deregistering and draining`)
      await sc.close()
    })
}
