/**
 * @module
 * Keep the bound sockets in step with the active snapshot: bind the ports a new
 * snapshot adds, close the ones it drops, rebind a port whose protocol changed. The
 * handler always reads the store's current snapshot, so existing sockets pick up new
 * routes without rebinding.
 *
 * @example
 * const listeners = new ListenerSet(address, handler, sni)
 * await listeners.reconcile(snapshot.compiled.ports)
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { CompiledPort } from '../core/routing/compile-gateway.js'
import type { ProxyRequest, ProxyResponse } from '../core/http/view.js'
import { listen } from '../runtime/node/server.js'
import { lookupByHostname } from '../core/routing/hostname.js'

type Bound = { protocol: string; port: number; close(): Promise<void> }
type Handler = (req: ProxyRequest, signal: AbortSignal | undefined) => Promise<ProxyResponse>

export class ListenerBindError extends Error {
  constructor(address: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code
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
  private contexts = new Map<string, SecureContext>()

  constructor(
    private readonly address: string,
    private readonly handler: Handler,
    /** The port tables of the active snapshot, read at each TLS handshake. */
    private readonly currentPorts: () => Map<number, CompiledPort> | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  /** The certificate for a TLS handshake: the listener SNI selects, else any listener on the port that has one. */
  private contextFor(port: number, servername: string): SecureContext | undefined {
    const p = this.currentPorts()?.get(port)
    if (!p) return undefined
    const l = lookupByHostname(p.listeners, servername.toLowerCase())
    const tls = l?.tls ?? p.all.find((x) => x.tls)?.tls
    if (!tls) return undefined
    const key = tls.cert + tls.key
    let ctx = this.contexts.get(key)
    if (!ctx) {
      ctx = createSecureContext({ cert: tls.cert, key: tls.key })
      this.contexts.set(key, ctx)
    }
    return ctx
  }

  async reconcile(ports: Map<number, CompiledPort>): Promise<void> {
    for (const [port, b] of this.bound) {
      const want = ports.get(port)
      if (!want || want.protocol !== b.protocol) {
        this.bound.delete(port)
        await b.close()
        this.log(`closed listener port ${port}`)
      }
    }
    for (const [port, p] of ports) {
      if (this.bound.has(port)) continue
      const tls =
        p.protocol === 'HTTPS'
          ? {
              SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
                try {
                  const ctx = this.contextFor(port, servername)
                  if (ctx) cb(null, ctx)
                  else cb(new Error(`no certificate for ${servername} on port ${port}`))
                } catch (err) {
                  cb(err as Error)
                }
              },
            }
          : undefined
      try {
        const server = await listen({ address: this.address, port, tls, handler: this.handler })
        this.bound.set(port, { protocol: p.protocol, port: server.port, close: () => server.close() })
        this.log(`listening on ${p.protocol === 'HTTPS' ? 'https' : 'http'}://${this.address}:${server.port} (${p.all.map((l) => l.name).join(', ')})`)
      } catch (err) {
        throw new ListenerBindError(this.address, port, err)
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.bound.values()]
    this.bound.clear()
    await Promise.all(all.map((b) => b.close()))
  }
}
