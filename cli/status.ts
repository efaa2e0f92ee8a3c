/**
 * @module
 * `weft status`: every proxy instance that reported to the control plane, the bundle
 * version it runs, whether that is the current version, when it was last seen and its
 * last error.
 *
 * @example
 * weft status --data .weft/control
 */
import type { Command } from 'commander'
import { addControlFlags, controlRequest, type ControlFlags } from './control-client.js'
import type { ProxyStatus } from '../control/proxies.js'

export function statusCommand(program: Command): void {
  addControlFlags(program.command('status').description('every proxy, the bundle version it runs, whether it is in sync').option('--json', 'print the Control API answer as JSON'))
    .addHelpText('after', '\nExample:\n  weft status --data .weft/control\n')
    .action(async (o: ControlFlags & { json?: boolean }) => {
      const res = await controlRequest(o, 'GET', '/v1/proxies')
      if (o.json) return void console.log(JSON.stringify(res.body, null, 2))
      const proxies = (res.body.proxies ?? []) as ProxyStatus[]
      console.log(`config version ${String(res.body.version)}; ${proxies.length} proxy instance(s), ${proxies.filter((p) => p.inSync).length} in sync`)
      if (proxies.length === 0) return
      const rows = [
        ['PROXY', 'INSTANCE', 'VERSION', 'IN SYNC', 'LAST SEEN', 'LAST ERROR'],
        ...proxies.map((p) => [p.proxy, p.instance, String(p.version), p.inSync ? 'yes' : 'no', ago(p.lastSeen), p.lastError ? `${p.lastErrorCode ? `${p.lastErrorCode}: ` : ''}${p.lastError}` : '']),
      ]
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
      for (const r of rows) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
    })
}

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`
}
