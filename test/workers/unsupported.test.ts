/**
 * What a Worker cannot do, each asserted as documented in docs/workers.md. A Worker
 * has no listener of its own: Cloudflare terminates TLS and HTTP/2 in front of it and
 * hands it one HTTP request at a time; locally Miniflare's socket is plain HTTP/1.1.
 *
 * - http2 / tls: the Worker's socket speaks neither (an h2c preface is a protocol
 *   error, a TLS ClientHello is reset).
 * - client-cert-in: the Worker never sees the handshake; the identity seam
 *   (runtime/workers/identity.ts) reads Cloudflare's `request.cf.tlsClientAuth` fields.
 *   Miniflare fills them with `certPresented: '0'`; fields passed the way Cloudflare
 *   does (dispatchFetch's `cf`) are read as such.
 * - client-cert-out: Cloudflare's mTLS certificate binding (`mtls_certificates`)
 *   presents a client certificate upstream on Cloudflare only: under Miniflare 4 the
 *   binding exists but every call fails with "needs to be run remotely".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect as h2connect } from 'node:http2'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { COMPATIBILITY_DATE, startWorkerdTarget, type WorkerdTarget } from '../support/workerd-target.js'
import { send } from './helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CONFIG = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec: { gatewayClassName: weft, listeners: [{ name: http, port: 80, protocol: HTTP }] }
`

let t: WorkerdTarget
let probe: Miniflare

beforeAll(async () => {
  t = await startWorkerdTarget({ role: 'gateway', controlUrl: '', trustJwks: '', token: '', gateway: 'default/edge', config: CONFIG })
  // The identity seam itself, bundled into a probe Worker that answers with what it read.
  const code = await build({
    stdin: {
      contents: `import { peerIdentity } from './runtime/workers/identity.ts'
        export default {
          async fetch(request, env) {
            if (new URL(request.url).pathname === '/mtls-out') {
              try { const r = await env.CLIENT_CERT.fetch('https://upstream.example/'); return new Response('status ' + r.status) }
              catch (err) { return new Response(String(err.message), { status: 502 }) }
            }
            return Response.json(peerIdentity(request))
          },
        }`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
  })
  probe = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    script: code.outputFiles[0]!.text,
    compatibilityDate: COMPATIBILITY_DATE,
    mtlsCertificates: { CLIENT_CERT: { certificate_id: '00000000-0000-0000-0000-000000000000' } },
  })
  await probe.ready
}, 60_000)

afterAll(async () => {
  await t?.stop()
  await probe?.dispose()
})

describe('Workers: what a Worker cannot do (documented in docs/workers.md)', () => {
  it('the gateway Worker serves its one listener over plain HTTP/1.1', async () => {
    expect((await send(t.url, '/')).headers['x-weft-error']).toBe('ERR_NO_ROUTE')
  })

  it('[cap workerd http2 unsupported docs/workers.md#what-a-worker-cannot-do-the-capability-cells] an HTTP/2 (h2c) connection to the Worker is a protocol error: HTTP/2 is terminated by Cloudflare, not the Worker', async () => {
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = h2connect(t.url)
      s.on('error', (e) => resolve(e))
      const r = s.request({ ':path': '/' })
      r.on('response', () => resolve(undefined))
      r.on('error', (e) => resolve(e))
      r.end()
    })
    expect(err?.code).toBe('ERR_HTTP2_ERROR')
  })

  it('[cap workerd tls unsupported docs/workers.md#what-a-worker-cannot-do-the-capability-cells] no TLS session can be set up with the Worker: TLS is terminated by Cloudflare, not the Worker', async () => {
    const u = new URL(t.url)
    // workerd reads the ClientHello as a malformed HTTP request and resets the connection (at once, or at its header timeout).
    const outcome = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false })
      const timer = setTimeout(() => {
        s.destroy()
        resolve('no handshake within 5 s')
      }, 5000)
      s.on('secureConnect', () => {
        clearTimeout(timer)
        s.destroy()
        resolve('secure')
      })
      s.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        resolve(e.code ?? e.message)
      })
    })
    expect(outcome).not.toBe('secure')
    expect(['ECONNRESET', 'no handshake within 5 s']).toContain(outcome)
  })

  it('[cap workerd client-cert-in unsupported docs/workers.md#what-a-worker-cannot-do-the-capability-cells] the Worker never sees the client certificate; the identity seam reads request.cf.tlsClientAuth (certPresented 0 under Miniflare)', async () => {
    const url = (await probe.ready).href
    const plain = (await (await fetch(url)).json()) as { clientCert?: unknown; clientCertVerified: boolean }
    expect(plain.clientCert).toBeUndefined()
    expect(plain.clientCertVerified).toBe(false)
    const tlsClientAuth = { certPresented: '1', certVerified: 'SUCCESS', certSubjectDN: 'CN=web.default', certFingerprintSHA256: 'ab'.repeat(32) }
    const res = await probe.dispatchFetch(url, { cf: { tlsClientAuth } })
    const withCert = (await res.json()) as { clientCert?: Record<string, string>; clientCertVerified: boolean }
    expect(withCert.clientCertVerified).toBe(true)
    expect(withCert.clientCert?.certSubjectDN).toBe('CN=web.default')
  })

  it('[cap workerd client-cert-out unsupported docs/workers.md#what-a-worker-cannot-do-the-capability-cells] the mTLS certificate binding exists under Miniflare but every call fails: it runs on Cloudflare only', async () => {
    const r = await probe.dispatchFetch(new URL('/mtls-out', (await probe.ready).href).href)
    expect(r.status).toBe(502)
    expect(await r.text()).toMatch(/needs to be run remotely/)
  })
})
