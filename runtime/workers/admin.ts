/**
 * @module
 * The admin endpoints of a Worker, on the reserved path prefix `/__weft/` of its own
 * hostname (a Worker has no second listener): `ready` (200 once a verified bundle is
 * active, else 503), `stats` (JSON), `metrics` (Prometheus text), `config` (the active
 * snapshot described), and `POST refresh` (refresh from the control plane now).
 * Off unless `WEFT_ADMIN` is set: `open` (no auth: local runs) or a token that callers
 * send as `Authorization: Bearer TOKEN`. While off, `/__weft/...` is routed like any
 * other path.
 *
 * @example
 * const res = await adminResponse(request, settings.admin, endpoints)
 * if (res) return res
 */

export const ADMIN_PREFIX = '/__weft/'

export interface AdminEndpoints {
  ready(): boolean
  stats(): unknown
  metrics(): string
  config(): unknown
  refresh(): Promise<unknown>
}

/** The admin answer for `request`, or undefined when it is not an admin request (or admin is off). */
export async function adminResponse(request: Request, admin: string | undefined, e: AdminEndpoints): Promise<Response | undefined> {
  if (admin === undefined) return undefined
  const url = new URL(request.url)
  if (!url.pathname.startsWith(ADMIN_PREFIX)) return undefined
  if (admin !== '' && request.headers.get('authorization') !== `Bearer ${admin}`) {
    return new Response('admin endpoints need Authorization: Bearer <WEFT_ADMIN>\n', { status: 401, headers: { 'x-weft-error': 'ERR_UNAUTHORIZED' } })
  }
  const json = (v: unknown, status = 200) => new Response(JSON.stringify(v, null, 2) + '\n', { status, headers: { 'content-type': 'application/json' } })
  switch (url.pathname.slice(ADMIN_PREFIX.length)) {
    case 'ready':
      return e.ready() ? new Response('ready\n') : new Response('not ready: no verified bundle active yet\n', { status: 503 })
    case 'stats':
      return json(e.stats())
    case 'metrics':
      return new Response(e.metrics(), { headers: { 'content-type': 'text/plain; version=0.0.4' } })
    case 'config':
      return json(e.config())
    case 'refresh':
      if (request.method !== 'POST') return new Response('POST /__weft/refresh\n', { status: 405, headers: { allow: 'POST' } })
      return json(await e.refresh())
    default:
      return new Response(`no admin endpoint ${url.pathname}; try ${ADMIN_PREFIX}ready, stats, metrics, config, refresh\n`, { status: 404 })
  }
}
