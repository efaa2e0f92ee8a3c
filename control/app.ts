/**
 * @module
 * The Control API (DESIGN.md) as a hono app: config writes and reads (admin),
 * signed bundles with ETag, 304 and long-poll (the proxy's own scope, or admin),
 * proxy status reports, proxy tokens, the JWKS, health and metrics.
 *
 * @example
 * const app = controlApp({ store, bundles, auth, waiters, reports, metrics, jwks })
 * serve({ fetch: app.fetch, port: 7070 })
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { gatewayScope, parseScope, sidecarScope } from '../core/bundle/format.js'
import type { JWK } from 'jose'
import type { Auth, Caller } from './auth.js'
import type { BundleCache } from './bundles.js'
import { acceptsGzip, gzipped, MIN_COMPRESS_BYTES } from './compress.js'
import type { Waiters } from './longpoll.js'
import type { ControlMetrics } from './metrics.js'
import { parseReport, type ProxyReports } from './proxies.js'
import { BodyError, filesFromBody, rawResources } from './resources.js'
import type { ChangeResult, Store } from './store.js'

export interface ControlDeps {
  store: Store
  bundles: BundleCache
  auth: Auth
  waiters: Waiters
  reports: ProxyReports
  metrics: ControlMetrics
  jwks: { keys: JWK[] }
}

/** Longest `?wait=` honoured, in seconds. */
export const MAX_WAIT_SECONDS = 60
const MAX_BODY_BYTES = 16 * 1024 * 1024

type Env = { Variables: { caller: Caller } }

export function controlApp(d: ControlDeps): Hono<Env> {
  const app = new Hono<Env>()
  const { store, metrics } = d

  const authorize = (need: (c: Context<Env>, caller: Caller) => string | undefined) =>
    async function authorize(c: Context<Env>, next: () => Promise<void>) {
      const who = await d.auth.identify(c.req.header('authorization'))
      if ('status' in who) return c.json({ error: who.error, message: who.message }, who.status)
      const refused = need(c, who)
      if (refused) return c.json({ error: 'forbidden', message: refused }, 403)
      c.set('caller', who)
      await next()
      return undefined
    }
  const admin = authorize((_c, who) => (who.kind === 'admin' ? undefined : `this endpoint needs the admin token; a proxy token (scope ${(who as { scope: string }).scope}) only reads its own bundle and reports its own status`))
  const ownScope = authorize((c, who) => {
    const proxy = c.req.param('proxy')
    return who.kind === 'admin' || who.scope === proxy ? undefined : `this token is for proxy ${who.scope}, not ${proxy}`
  })
  const validScope = async (c: Context<Env>, next: () => Promise<void>) => {
    const proxy = c.req.param('proxy')!
    if (!parseScope(proxy))
      return c.json({ error: 'invalid proxy', message: `"${proxy}" is not a proxy scope: use sidecar.NAMESPACE.SERVICE or gateway.NAMESPACE.NAME` }, 400)
    await next()
    return undefined
  }

  app.use('/v1/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'body too large', message: `the body is over ${MAX_BODY_BYTES} bytes` }, 413) }))

  app.get('/healthz', (c) => c.json({ ok: true, version: store.version }))
  app.get('/metrics', (c) => {
    metrics.version.set(store.version)
    metrics.waiting.set(d.waiters.size)
    metrics.instances.set(store.instances().length)
    return c.body(metrics.registry.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  app.get('/.well-known/jwks.json', (c) => c.json(d.jwks))

  const respond = (c: Context<Env>, action: 'apply' | 'delete', r: ChangeResult) => {
    if (!r.ok) {
      metrics.rejected.inc({ action })
      return c.json({ error: r.status === 404 ? 'not found' : 'config rejected', message: `${r.errors.length} error(s); nothing was applied`, errors: r.errors }, r.status)
    }
    if (r.dryRun) return c.json({ dryRun: true, version: r.version, changed: r.changed, diff: r.diff })
    if (r.changed) metrics.applies.inc({ action })
    return c.json({ version: r.version, changed: r.changed, diff: r.diff })
  }
  const dryRun = (c: Context<Env>) => ['true', '1', ''].includes(c.req.query('dryRun') ?? 'false')

  app.post('/v1/config', admin, async (c) => {
    let files
    try {
      files = filesFromBody(c.req.header('content-type') ?? '', await c.req.text())
    } catch (err) {
      if (err instanceof BodyError) return respond(c, 'apply', { ok: false, status: 400, errors: [{ file: 'request', message: err.message }] })
      throw err
    }
    return respond(c, 'apply', store.apply(files, { dryRun: dryRun(c) }))
  })

  const remove = async (c: Context<Env>) => {
    const text = await c.req.text()
    const type = c.req.header('content-type') ?? ''
    let ids: { kind: string; namespace?: string; name: string }[] | undefined
    try {
      const body = type.includes('json') ? (JSON.parse(text) as { resources?: unknown }) : undefined
      const list = Array.isArray(body?.resources) ? (body.resources as Record<string, unknown>[]) : undefined
      if (list && list.every((r) => typeof r?.kind === 'string' && typeof r?.name === 'string'))
        ids = list.map((r) => ({ kind: r.kind as string, name: r.name as string, ...(typeof r.namespace === 'string' && { namespace: r.namespace }) }))
      if (!ids) {
        const { resources, unnamed } = rawResources(filesFromBody(type, text))
        if (unnamed.length > 0) throw new BodyError(`${unnamed.join(', ')}: a resource to delete needs kind and metadata.name`)
        ids = resources
      }
    } catch (err) {
      if (err instanceof BodyError || err instanceof SyntaxError) return respond(c, 'delete', { ok: false, status: 400, errors: [{ file: 'request', message: err.message }] })
      throw err
    }
    if (ids.length === 0) return respond(c, 'delete', { ok: false, status: 400, errors: [{ file: 'request', message: 'no resources to delete: send {"resources": [{"kind", "namespace", "name"}]} or the resources themselves' }] })
    return respond(c, 'delete', store.delete(ids, { dryRun: dryRun(c) }))
  }
  app.delete('/v1/config', admin, remove)
  app.post('/v1/config/delete', admin, remove)

  app.get('/v1/config', admin, (c) => c.json({ version: store.version, resources: store.resources() }))
  app.get('/v1/config/versions', admin, (c) => c.json({ version: store.version, versions: store.history() }))

  app.get('/v1/bundles/:proxy', validScope, ownScope, async (c) => {
    const proxy = c.req.param('proxy')!
    const kind = parseScope(proxy)!.kind
    const seen = etagVersion(c.req.header('if-none-match'))
    const wait = Math.min(Math.max(Number(c.req.query('wait') ?? 0) || 0, 0), MAX_WAIT_SECONDS)
    if (seen !== undefined && seen === store.version && wait > 0) {
      metrics.waiting.set(d.waiters.size + 1)
      await d.waiters.wait(seen, wait * 1000, c.req.raw.signal)
    }
    const etag = `"${store.version}"`
    if (seen !== undefined && seen === store.version) {
      metrics.notModified.inc({ kind })
      return c.body(null, 304, { etag })
    }
    const b = await d.bundles.get(proxy)
    metrics.bundles.inc({ kind })
    const headers = { etag: `"${b.version}"`, 'content-type': 'application/jose', 'cache-control': 'no-cache', vary: 'accept-encoding' }
    if (b.jws.length >= MIN_COMPRESS_BYTES && acceptsGzip(c.req.header('accept-encoding'))) {
      return c.body(await gzipped(b), 200, { ...headers, 'content-encoding': 'gzip' })
    }
    return c.body(b.jws, 200, headers)
  })

  app.post('/v1/proxies/:proxy/status', validScope, ownScope, async (c) => {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      body = undefined
    }
    const report = parseReport(body)
    if (typeof report === 'string') return c.json({ error: 'invalid report', message: report }, 400)
    d.reports.record(c.req.param('proxy')!, report)
    metrics.reports.inc()
    return c.json({ ok: true, version: store.version })
  })
  app.put('/v1/proxies/:proxy/instances/:instance', validScope, ownScope, async (c) => {
    const proxy = c.req.param('proxy')!
    if (parseScope(proxy)!.kind !== 'sidecar') return c.json({ error: 'invalid proxy', message: 'only sidecars (sidecar.NAMESPACE.SERVICE) register instances' }, 400)
    const reg = parseRegistration(c.req.param('instance')!, await c.req.json().catch(() => undefined))
    if (typeof reg === 'string') return c.json({ error: 'invalid registration', message: reg }, 400)
    const r = store.register({ scope: proxy, ...reg })
    return c.json({ version: r.version, changed: r.changed, leaseSeconds: reg.leaseSeconds })
  })
  app.delete('/v1/proxies/:proxy/instances/:instance', validScope, ownScope, (c) => {
    const proxy = c.req.param('proxy')!
    const instance = c.req.param('instance')!
    if (!store.deregister(proxy, instance)) return c.json({ error: 'not found', message: `instance ${instance} of ${proxy} is not registered` }, 404)
    return c.json({ version: store.version })
  })
  app.get('/v1/instances', admin, (c) => c.json({ version: store.version, instances: store.instances() }))

  app.get('/v1/proxies', admin, (c) => c.json({ version: store.version, proxies: d.reports.list(store.version) }))

  app.post('/v1/tokens', admin, async (c) => {
    const b = (await c.req.json().catch(() => ({}))) as { scope?: unknown; service?: unknown; namespace?: unknown; gateway?: unknown }
    const ns = typeof b.namespace === 'string' ? b.namespace : 'default'
    const gw = typeof b.gateway === 'string' ? b.gateway.split('/') : undefined
    const scope =
      typeof b.scope === 'string' ? b.scope
      : typeof b.service === 'string' ? sidecarScope(ns, b.service)
      : gw?.length === 2 ? gatewayScope(gw[0]!, gw[1]!)
      : undefined
    if (!scope || !parseScope(scope))
      return c.json({ error: 'invalid token request', message: 'send {"service": NAME, "namespace"?: NS} or {"gateway": "NS/NAME"} (names: lower-case DNS labels)' }, 400)
    return c.json({ scope, token: await d.auth.proxyToken(scope) })
  })

  app.notFound((c) => c.json({ error: 'not found', message: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError((err, c) => {
    console.error(`weft control: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`)
    return c.json({ error: 'internal error', message: err.message }, 500)
  })
  return app
}

/** Default and longest lease of a registered instance, seconds. */
export const DEFAULT_LEASE_SECONDS = 15
export const MAX_LEASE_SECONDS = 300

/** A registration body `{address, port, labels?, leaseSeconds?}`, or what is wrong with it. */
export function parseRegistration(instance: string, body: unknown) {
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.:]{0,252}$/.test(instance)) return 'the instance id must be letters, digits, - _ . : (at most 253)'
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  if (typeof b.address !== 'string' || !/^[-A-Za-z0-9_.:]+$/.test(b.address)) return 'address must be the IP or host name peers reach this instance on (its inbound listener)'
  if (!Number.isInteger(b.port) || (b.port as number) < 1 || (b.port as number) > 65535) return 'port must be an integer between 1 and 65535'
  const lease = b.leaseSeconds === undefined ? DEFAULT_LEASE_SECONDS : b.leaseSeconds
  if (!Number.isInteger(lease) || (lease as number) < 1 || (lease as number) > MAX_LEASE_SECONDS) return `leaseSeconds must be an integer between 1 and ${MAX_LEASE_SECONDS}`
  const labels = b.labels ?? {}
  if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) return 'labels must map names to strings'
  return { instance, address: b.address, port: b.port as number, labels: labels as Record<string, string>, leaseSeconds: lease as number }
}

/** The version an `If-None-Match` names (`"5"`, `W/"5"`, or the first of a list). */
export function etagVersion(header: string | undefined): number | undefined {
  const m = header ? /^\s*(?:W\/)?"(\d+)"/.exec(header) : null
  return m ? Number(m[1]) : undefined
}
