/**
 * @module
 * A fake control plane for bundle tests (OPA's download testharness, linkerd's
 * controller.rs): a node:http server that signs bundles itself (jose, EdDSA) and
 * serves `GET /v1/bundles/{scope}` with ETag, If-None-Match → 304 and `?wait=`
 * long-poll, records `POST /v1/proxies/{scope}/status`, and serves the JWKS. Told
 * what to serve next with `mode`: a good bundle, or a tampered one, one signed by
 * another key, one with its signature stripped, an older version, an expired one,
 * one for another scope, an oversized one, a 500, a slow answer.
 *
 * @example
 * const cp = await startFakeControl({ scope: 'gateway.default.edge', config })
 * writeFileSync(trust, JSON.stringify(cp.jwks))
 * await cp.publish(nextConfig)          // version + 1, long-polls released
 * cp.mode = 'tampered'; await cp.publish(config)
 * await cp.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose'
import { BUNDLE_TYP, MAX_BUNDLE_BYTES, type BundlePayload } from '../../core/bundle/format.js'
import type { ConfigSet } from '../../core/config/types.js'

export type FakeMode = 'good' | 'tampered' | 'other-key' | 'stripped' | 'older' | 'expired' | 'other-scope' | 'oversized' | 'error500' | 'slow'

export interface StatusPost {
  scope: string
  body: { instance?: string; version?: number; lastError?: string; lastErrorCode?: string }
}

type Key = { kid: string; privateKey: CryptoKey; publicJwk: JWK }

async function makeKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { kid, privateKey: privateKey as CryptoKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } }
}

export async function signWith(key: { kid: string; privateKey: CryptoKey }, payload: BundlePayload, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: BUNDLE_TYP, ...header })
    .sign(key.privateKey)
}

export async function startFakeControl(opts: { scope: string; config: ConfigSet; version?: number; slowMs?: number; host?: string }) {
  const key = await makeKey('trusted-1')
  const other = await makeKey('trusted-1') // same kid, another key: a signature that must not verify
  const stranger = await makeKey('stranger')
  let version = opts.version ?? 1
  let config = opts.config
  let mode: FakeMode = 'good'
  const statuses: StatusPost[] = []
  const requests: { url: string; ifNoneMatch: string | undefined; auth: string | undefined }[] = []
  const waiting = new Set<() => void>()
  const now = () => Math.floor(Date.now() / 1000)

  const payload = (over: Partial<BundlePayload> = {}): BundlePayload => ({
    version, issuedAt: now(), expiresAt: now() + 3600, scope: opts.scope, kid: key.kid, config, ...over,
  })

  /** The body to serve for the current mode, with the version it claims. */
  const body = async (): Promise<{ jws: string; etag: string }> => {
    const etag = `"${version}"`
    switch (mode) {
      case 'good':
      case 'slow':
        return { jws: await signWith(key, payload()), etag }
      case 'tampered': {
        const [h, , s] = (await signWith(key, payload())).split('.')
        const forged = Buffer.from(JSON.stringify(payload({ config: { ...config, services: [] } }))).toString('base64url')
        return { jws: `${h}.${forged}.${s}`, etag }
      }
      case 'other-key':
        return { jws: await signWith(other, payload()), etag }
      case 'stripped': {
        const [h, p] = (await signWith(key, payload())).split('.')
        return { jws: `${h}.${p}.`, etag }
      }
      case 'older':
        return { jws: await signWith(key, payload({ version: Math.max(0, version - 5) })), etag: `"${Math.max(0, version - 5)}"` }
      case 'expired':
        return { jws: await signWith(key, payload({ issuedAt: now() - 7200, expiresAt: now() - 3600 })), etag }
      case 'other-scope':
        return { jws: await signWith(key, payload({ scope: 'gateway.default.someone-else' })), etag }
      case 'oversized':
        return { jws: await signWith(key, payload({ config: { ...config, namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x'.repeat(MAX_BUNDLE_BYTES), namespace: '', labels: {} } }] as ConfigSet['namespaces'] } })), etag }
      case 'error500':
        return { jws: '', etag }
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks()))
    const status = /^\/v1\/proxies\/([^/]+)\/status$/.exec(url.pathname)
    if (req.method === 'POST' && status) {
      let text = ''
      for await (const c of req) text += c
      statuses.push({ scope: decodeURIComponent(status[1]!), body: JSON.parse(text || '{}') })
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    }
    const bundle = /^\/v1\/bundles\/([^/]+)$/.exec(url.pathname)
    if (req.method !== 'GET' || !bundle) return void res.writeHead(404).end('not found')
    const inm = req.headers['if-none-match']
    requests.push({ url: req.url ?? '', ifNoneMatch: inm, auth: req.headers.authorization })
    if (decodeURIComponent(bundle[1]!) !== opts.scope) return void res.writeHead(403).end('not your scope')
    const wait = Number(url.searchParams.get('wait') ?? 0)
    if (inm === `"${version}"` && wait > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t)
          waiting.delete(done)
          resolve()
        }
        const t = setTimeout(done, wait * 1000)
        waiting.add(done)
        req.once('close', done)
      })
    }
    if (res.destroyed) return
    if (inm === `"${version}"`) return void res.writeHead(304, { etag: inm }).end()
    if (mode === 'error500') return void res.writeHead(500).end('internal error (fake)')
    if (mode === 'slow') await new Promise((r) => setTimeout(r, opts.slowMs ?? 3000))
    const b = await body()
    res.writeHead(200, { 'content-type': 'application/jose', etag: b.etag, 'content-length': Buffer.byteLength(b.jws) }).end(b.jws)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => res.writeHead(500).end(String(err)))
  })
  await new Promise<void>((ok) => server.listen(0, opts.host ?? '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port

  function jwks() {
    return { keys: [key.publicJwk] }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    jwks,
    /** A key the proxy does not trust (its kid is unknown). */
    stranger,
    key,
    statuses,
    requests,
    get version() {
      return version
    },
    get mode() {
      return mode
    },
    set mode(m: FakeMode) {
      mode = m
    },
    /** Serve `next` (or the same config) as version + 1 and release the long-polls. */
    publish(next?: ConfigSet) {
      if (next) config = next
      version++
      for (const w of [...waiting]) w()
    },
    /** Sign any payload with the trusted key, for unit tests. */
    sign: (over: Partial<BundlePayload> = {}, header: Record<string, unknown> = {}) => signWith(key, payload(over), header),
    async close() {
      for (const w of [...waiting]) w()
      server.closeAllConnections()
      await new Promise((ok) => server.close(ok))
    },
  }
}

export type FakeControl = Awaited<ReturnType<typeof startFakeControl>>
