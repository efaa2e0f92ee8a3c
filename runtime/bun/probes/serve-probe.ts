/**
 * @module
 * A Bun process for runtime/bun tests (run by `bun`, spawned by the vitest files
 * next to the adapter): the Bun adapter serving the probe listener of
 * test/support/serve-probe.ts (what it answers, WEFT_PROBE, what it prints). Here:
 * `tls` is { [servername]: {cert,key} }, the certificate picked by SNI, '' for any
 * other name; a `proxy` listener tunnels CONNECT as the sidecar does (connectTunnel).
 */
import type { ServeTls } from '../../types.js'
import { serveProbe } from '../../../test/support/serve-probe.js'
import { connectTunnel } from '../../../worker-proxy/connect.js'
import { runtime } from '../runtime.js'

type Pem = { cert: string; key: string }

await serveProbe(runtime, {
  tls: (cfg): ServeTls => {
    const tls = cfg as Record<string, Pem>
    return {
      certFor: (name: string) => tls[name] ?? tls[''],
      certificates: () => Object.entries(tls).map(([name, pem]) => ({ ...pem, hostnames: [name] })),
    }
  },
  onConnect: (req: unknown, socket: unknown, head: unknown) => connectTunnel(req as never, socket as never, head as never),
})
