/**
 * @module
 * A Deno process for the runtime/deno tests (run by `deno`, spawned through
 * deno-process.ts): the Deno adapter serving the probe listener of
 * test/support/serve-probe.ts (what it answers, WEFT_PROBE, what it prints). Here:
 * `tls` is [{cert,key,hostnames}], the first for a name none lists; a `proxy`
 * listener tunnels CONNECT host:port to the target.
 */
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ServeTls, TlsCertificate } from '../../types.js'
import { serveProbe } from '../../../test/support/serve-probe.js'
import { runtime } from '../runtime.js'

type Cert = TlsCertificate & { hostnames: string[] }

await serveProbe(runtime, {
  tls: (cfg): ServeTls => {
    const certs = cfg as Cert[]
    return {
      certFor: (name: string) => certs.find((c) => c.hostnames.includes(name)) ?? certs[0],
      certificates: () => certs,
    }
  },
  onConnect: tunnel,
})

/** CONNECT host:port → a TCP connection to it, bytes both ways. */
function tunnel(req: unknown, socket: unknown, head: unknown): void {
  const client = socket as Duplex
  const [host, port] = String((req as { url: string }).url).split(':')
  const up = connect(Number(port), host!, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if ((head as Buffer).length) up.write(head as Buffer)
    up.pipe(client)
    client.pipe(up)
  })
  up.on('error', () => client.destroy())
  client.on('error', () => up.destroy())
}
