/**
 * @module
 * What the black-box suite's proxies route to, and the config they get: one real
 * `weft control` process, the echo backends `v1` and `v2` (test/fakes/echo-backend.ts),
 * a `files` backend for the 50 MB bodies and connection reuse, and one set of route
 * rules attached twice: to the Gateway `default/edge` (hostname `app.example`) and,
 * GAMMA style, to the Service `web` that sidecars call with `Host: web`.
 *
 * @example
 * const w = await startWorld()
 * const token = await w.token({ gateway: 'default/edge' })
 * const v = await w.apply([swapRoute('gateway', 'g2')])
 * await w.close()
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEchoBackends, type EchoBackends } from '../fakes/echo-backend.js'
import { startControlProcess, type ControlProcess } from '../integration/control-process.js'
import { freePort } from '../support/gateway-runner.js'
import type { Role } from '../support/targets.js'

export const GATEWAY = 'default/edge'
export const GATEWAY_HOST = 'app.example'
/** The Service sidecars call (routes attached to it), and one with no routes (pass-through). */
export const MESH_HOST = 'web'
export const PLAIN_HOST = 'plain'
export const SIDECAR_SERVICE = 'client'

/** 64 KiB of random bytes, repeated to make every large body (both sides know it). */
export const PATTERN = randomBytes(64 * 1024)

/** sha256 of `size` bytes of PATTERN repeated. */
export function patternHash(size: number): string {
  const h = createHash('sha256')
  for (let sent = 0; sent < size; sent += PATTERN.length) h.update(PATTERN.subarray(0, Math.min(PATTERN.length, size - sent)))
  return h.digest('hex')
}

type Resource = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> }

const svc = (name: string, endpoints: { address: string; port: number }[]): Resource => ({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port: 80 }], endpoints },
})

const local = (port: number) => [{ address: '127.0.0.1', port }]
const ref = (name: string, weight?: number) => ({ name, port: 80, ...(weight !== undefined && { weight }) })
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } })

/** The rules both roles serve; the cases in blackbox.ts send exactly these paths. */
function rules(): unknown[] {
  return [
    { matches: [{ path: { type: 'Exact', value: '/exact' } }], filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-rule', value: 'exact' }] } }], backendRefs: [ref('v1')] },
    { matches: [{ ...prefix('/prefix'), headers: [{ name: 'x-variant', value: 'b' }] }], backendRefs: [ref('v2')] },
    { matches: [prefix('/prefix')], backendRefs: [ref('v1')] },
    { matches: [{ ...prefix('/method'), method: 'POST' }], backendRefs: [ref('v2')] },
    { matches: [prefix('/method')], backendRefs: [ref('v1')] },
    { matches: [prefix('/split')], backendRefs: [ref('v1', 80), ref('v2', 20)] },
    {
      matches: [prefix('/headers')],
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-set', value: 'set-by-route' }], add: [{ name: 'x-add', value: 'added-by-route' }], remove: ['x-remove'] } },
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-resp', value: 'resp-by-route' }], remove: ['x-content-type-options'] } },
      ],
      backendRefs: [ref('v1')],
    },
    { matches: [prefix('/redirect')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'redirect.example', path: { type: 'ReplaceFullPath', replaceFullPath: '/moved' }, statusCode: 301 } }] },
    { matches: [prefix('/rewrite')], filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'rewritten.example', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/rewritten' } } }], backendRefs: [ref('v1')] },
    { matches: [prefix('/refused')], backendRefs: [ref('refused')] },
    { matches: [prefix('/empty')], backendRefs: [ref('empty')] },
    { matches: [prefix('/ghost')], backendRefs: [ref('ghost')] },
    { matches: [prefix('/timeout')], timeouts: { request: '500ms' }, backendRefs: [ref('v1')] },
    { matches: [prefix('/files')], backendRefs: [ref('files')] },
  ]
}

const parentOf = (role: Role) => (role === 'gateway' ? { name: 'edge' } : { group: '', kind: 'Service', name: MESH_HOST })

function route(name: string, role: Role, routeRules: unknown[]): Resource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `${role}-${name}`, namespace: 'default' },
    spec: { parentRefs: [parentOf(role)], ...(role === 'gateway' && { hostnames: [GATEWAY_HOST] }), rules: routeRules },
  }
}

/** `/swap` answers with `x-generation: GEN`; applying it again with another GEN is a config change. */
export function swapRoute(role: Role, generation: string): Resource {
  return route('swap', role, [{ matches: [{ path: { type: 'PathPrefix', value: '/swap' } }], filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-generation', value: generation } ] } }], backendRefs: [ref('v1')] }])
}

export interface World {
  control: ControlProcess
  echo: EchoBackends
  /** Port of the Gateway's HTTP listener. */
  listenPort: number
  files: FilesBackend
  trustFile: string
  token(request: { gateway: string } | { service: string }): Promise<string>
  /** POST the resources to the Control API; resolves with the new config version. */
  apply(resources: Resource[]): Promise<number>
  close(): Promise<void>
}

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-blackbox-'))
  const control = await startControlProcess(join(dir, 'control'))
  const echo = await startEchoBackends([
    { namespace: 'default', name: 'v1' },
    { namespace: 'default', name: 'v2' },
  ])
  const files = await startFilesBackend()
  const listenPort = await freePort()
  const refusedPort = await freePort() // nothing listens there
  const apply = async (resources: Resource[]) => {
    const r = await control.api('POST', '/v1/config', { resources })
    const text = await r.text()
    if (r.status !== 200) throw new Error(`config rejected by the control plane: ${r.status} ${text}`)
    return (JSON.parse(text) as { version: number }).version
  }
  await apply([
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'default' },
      spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: listenPort, protocol: 'HTTP' }] },
    },
    svc('v1', local(echo.ports.get('default/v1')!)),
    svc('v2', local(echo.ports.get('default/v2')!)),
    svc('files', local(files.port)),
    svc('refused', local(refusedPort)),
    svc('empty', []),
    svc(MESH_HOST, local(echo.ports.get('default/v1')!)),
    svc(PLAIN_HOST, local(echo.ports.get('default/v2')!)),
    svc(SIDECAR_SERVICE, []),
    route('main', 'gateway', rules()),
    route('main', 'sidecar', rules()),
    swapRoute('gateway', 'g-0'),
    swapRoute('sidecar', 'g-0'),
  ])
  return {
    control,
    echo,
    listenPort,
    files,
    trustFile: join(dir, 'control', 'jwks.json'),
    async token(request) {
      const r = await control.api('POST', '/v1/tokens', request)
      if (r.status !== 200) throw new Error(`token for ${JSON.stringify(request)}: ${r.status} ${await r.text()}`)
      return ((await r.json()) as { token: string }).token
    },
    apply,
    async close() {
      await control.stop()
      await echo.close()
      await files.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface FilesBackend {
  port: number
  close(): Promise<void>
}

/**
 * `POST /files/up`: reads the body, answers `{bytes, sha256}`.
 * `GET /files/down?size=N`: N bytes of PATTERN, streamed with backpressure.
 * `GET /files/conn`: the client port of the connection it came on (connection reuse).
 */
async function startFilesBackend(): Promise<FilesBackend> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://files')
    if (url.pathname === '/files/up') {
      const h = createHash('sha256')
      let bytes = 0
      req.on('data', (c: Buffer) => {
        bytes += c.length
        h.update(c)
      })
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, sha256: h.digest('hex') })))
      return
    }
    req.resume()
    if (url.pathname === '/files/conn') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(String(req.socket.remotePort))
    if (url.pathname === '/files/down') {
      const size = Number(url.searchParams.get('size') ?? 0)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) })
      let sent = 0
      const pump = () => {
        while (sent < size) {
          const n = Math.min(PATTERN.length, size - sent)
          sent += n
          if (!res.write(n === PATTERN.length ? PATTERN : PATTERN.subarray(0, n))) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
      return
    }
    res.writeHead(404).end('files: no such path')
  })
  server.keepAliveTimeout = 65_000
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok())
        for (const s of sockets) s.destroy()
      }),
  }
}
