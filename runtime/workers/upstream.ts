/**
 * @module
 * Upstream calls from a Worker: the shared fetch upstream (runtime/web/fetch-upstream.ts)
 * over workerd's own `fetch`. What workerd's fetch decides, and a Worker cannot change
 * (measured under Miniflare/workerd 1.20260426, see docs/workers.md):
 * - Host: always the URL's authority (the endpoint address); a different Host header
 *   is dropped. The client's Host reaches the backend as X-Forwarded-Host only if a
 *   stage adds it; on Cloudflare `cf.resolveOverride` is the only way around it.
 * - Compression: a gzip/br body would be decoded if read; passed on untouched it goes
 *   out as the upstream sent it (bytes, Content-Encoding, Content-Length). workerd
 *   sends its own `Accept-Encoding` and adds `CF-Worker`.
 * - Redirects: `redirect: 'manual'` works (3xx handed back as is).
 * - Streaming: request and response bodies stream both ways (no buffering).
 * - Pools/keep-alive: workerd's; no setting.
 * - Work after the response (a mirror's call) is kept alive with `ctx.waitUntil`
 *   (context.ts); without it the platform cancels it once the response is sent.
 *
 * @example
 * const upstream = workersUpstream()
 * const app = bindingUpstream(env.APP)
 */
import type { ProxyRequest } from '../../core/http/view.js'
import type { ProxyUpstream } from '../types.js'
import { createFetchUpstream } from '../web/fetch-upstream.js'
import { keepAlive } from './context.js'
import type { Fetcher } from './types.js'

/** workerd's fetch, each call kept alive by the event's waitUntil: a mirror's call is not awaited by anyone. */
function keptFetch(doFetch: (url: string, init: RequestInit) => Promise<Response>) {
  return (url: string, init: RequestInit) => {
    const p = doFetch(url, init)
    keepAlive(p)
    return p
  }
}

export function workersUpstream(): ProxyUpstream {
  return createFetchUpstream({ fetch: keptFetch((url, init) => fetch(url, init)) })
}

/**
 * An upstream that sends every call to a service binding (the worker-proxy's APP). The
 * URL keeps the request's own authority and scheme, so the app sees the Host the
 * client used; the endpoint is only a label (`app`) in metrics.
 */
export function bindingUpstream(binding: Fetcher): ProxyUpstream {
  return createFetchUpstream({
    fetch: keptFetch((url, init) => binding.fetch(url, init)),
    urlFor: (_endpoint, req: ProxyRequest) => `${req.scheme}://${req.authority || 'app'}${req.path}${req.query === '' ? '' : '?' + req.query}`,
  })
}
