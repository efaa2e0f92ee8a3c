/**
 * @module
 * Keep the bound sockets in step with the active snapshot: bind the ports a new
 * snapshot adds, close the ones it drops, rebind a port whose protocol changed. The
 * handler always reads the store's current snapshot, so existing sockets pick up new
 * routes without rebinding.
 *
 * @example
 * const listeners = new ListenerSet(runtime, address, handler, () => store.current?.compiled.ports, log)
 * await listeners.reconcile(snapshot.compiled.ports)
 */
import type { CompiledPort } from '../core/routing/compile-gateway.js'
import { lookupByHostname } from '../core/routing/hostname.js'
import type { Listening, Runtime, ServeHandler, ServeTls, TlsCertificate } from '../runtime/types.js'

type Bound = { protocol: string; port: number; certs: string; listening: Listening }

export class ListenerBindError extends Error {
  constructor(address: string, port: number, cause: unknown) {
    const code = (cause as { code?: string }).code
    const why =
      code === 'EACCES'
        ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
        : code === 'EADDRINUSE'
          ? 'the address is already in use by another process'
          : code === 'EADDRNOTAVAIL'
            ? 'the address is not configured on this machine (see --address)'
            : (cause as Error).message
    super(`cannot bind a listener on ${address}:${port}: ${why}`, { cause })
    this.name = 'ListenerBindError'
  }
}

export class ListenerSet {
  private bound = new Map<number, Bound>()

  constructor(
    private readonly runtime: Runtime,
    private readonly address: string,
    private readonly handler: ServeHandler,
    /** The port tables of the active snapshot, read at each TLS handshake. */
    private readonly currentPorts: () => Map<number, CompiledPort> | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  /** The certificate for a TLS handshake: the listener SNI selects, else any listener on the port that has one. */
  private certFor(port: number, servername: string): TlsCertificate | undefined {
    const p = this.currentPorts()?.get(port)
    if (!p) return undefined
    const l = lookupByHostname(p.listeners, servername.toLowerCase())
    const tls = l?.tls ?? p.all.find((x) => x.tls)?.tls
    return tls ? { cert: tls.cert, key: tls.key } : undefined
  }

  /** Every certificate of the port's listeners with the hostnames each serves ('' = any). */
  private certificates(port: number): Array<TlsCertificate & { hostnames: string[] }> {
    const p = this.currentPorts()?.get(port)
    const byCert = new Map<string, TlsCertificate & { hostnames: string[] }>()
    for (const l of p?.all ?? []) {
      if (!l.tls) continue
      const k = l.tls.cert + l.tls.key
      let c = byCert.get(k)
      if (!c) byCert.set(k, (c = { cert: l.tls.cert, key: l.tls.key, hostnames: [] }))
      c.hostnames.push(l.hostname ?? '')
    }
    return [...byCert.values()]
  }

  private tlsFor(port: number): ServeTls {
    return { certFor: (name) => this.certFor(port, name), certificates: () => this.certificates(port) }
  }

  async reconcile(ports: Map<number, CompiledPort>): Promise<void> {
    for (const [port, b] of this.bound) {
      const want = ports.get(port)
      if (!want || want.protocol !== b.protocol) {
        this.bound.delete(port)
        await b.listening.close()
        this.log(`closed listener port ${port}`)
      }
    }
    for (const [port, p] of ports) {
      const certs = certKey(p)
      const had = this.bound.get(port)
      if (had) {
        // Runtimes with a static certificate list reload it when the snapshot's certificates changed.
        if (had.certs !== certs && had.listening.updateTls) {
          had.certs = certs
          await had.listening.updateTls()
        }
        continue
      }
      try {
        const listening = await this.runtime.serve({
          address: this.address,
          port,
          handler: this.handler,
          ...(p.protocol === 'HTTPS' && { tls: this.tlsFor(port) }),
        })
        this.bound.set(port, { protocol: p.protocol, port: listening.port, certs, listening })
        this.log(`listening on ${p.protocol === 'HTTPS' ? 'https' : 'http'}://${this.address}:${listening.port} (${p.all.map((l) => l.name).join(', ')})`)
      } catch (err) {
        throw new ListenerBindError(this.address, port, err)
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.bound.values()]
    this.bound.clear()
    await Promise.all(all.map((b) => b.listening.close()))
  }
}

function certKey(p: CompiledPort): string {
  return p.all.map((l) => (l.tls ? `${l.hostname ?? ''}\n${l.tls.cert}\n${l.tls.key}` : '')).join('\n--\n')
}
