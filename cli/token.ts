/**
 * @module
 * `weft token create`: (admin) print a token a proxy presents to the control plane.
 * It reads that proxy's bundle and reports that proxy's status, nothing else.
 *
 * @example
 * weft token create --service api --namespace shop --data .weft/control
 * weft token create --gateway default/edge
 */
import type { Command } from 'commander'
import { addControlFlags, CommandExit, controlRequest, type ControlFlags } from './control-client.js'
import { UsageError } from './host-port.js'

export function tokenCommand(program: Command): void {
  const token = program.command('token').description('proxy tokens')
  addControlFlags(
    token
      .command('create')
      .description('(admin) print a token for one proxy scope: the sidecars of a Service, or a gateway')
      .option('--service <name>', 'the Service whose sidecars use the token')
      .option('--namespace <ns>', "the Service's namespace", 'default')
      .option('--gateway <ns/name>', 'a gateway token instead: the Gateway it serves, as NAMESPACE/NAME'),
  )
    .addHelpText('after', '\nExample:\n  weft token create --service api --namespace shop --data .weft/control\n')
    .action(async (o: ControlFlags & { service?: string; namespace: string; gateway?: string }) => {
      if (!o.service === !o.gateway) throw new UsageError('give exactly one of --service NAME or --gateway NS/NAME')
      if (o.gateway && !/^[^/\s]+\/[^/\s]+$/.test(o.gateway)) throw new UsageError(`--gateway ${o.gateway}: expected NAMESPACE/NAME, e.g. default/edge`)
      const res = await controlRequest(o, 'POST', '/v1/tokens', o.gateway ? { gateway: o.gateway } : { service: o.service, namespace: o.namespace })
      if (res.status !== 200) throw new CommandExit(`${String(res.body.error)}: ${String(res.body.message)}`, 2)
      console.log(String(res.body.token))
    })
  for (const c of token.commands) c.exitOverride()
}
