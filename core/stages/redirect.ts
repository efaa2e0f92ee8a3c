/**
 * @module
 * RequestRedirect: answer locally with a Location built from the request and the
 * filter. Port rules (httproute_types.go HTTPRequestRedirectFilter.Port): an explicit
 * port wins; else a set scheme means that scheme's well-known port; else the listener
 * port. A well-known port (80 for http, 443 for https) is left out of Location.
 *
 * @example
 * const stage = requestRedirect({ scheme: 'https', statusCode: 301 })
 */
import type { HTTPRouteFilter } from '../config/types.js'
import type { Stage } from '../pipeline/stage.js'
import { modifyPath } from './path-modifier.js'

type RedirectConfig = Extract<HTTPRouteFilter, { type: 'RequestRedirect' }>['requestRedirect']

const WELL_KNOWN: Record<string, number> = { http: 80, https: 443 }

export function redirectLocation(
  c: RedirectConfig,
  req: { scheme: string; host: string; port: number; path: string; query: string },
  prefix: string | undefined,
): string {
  const scheme = c.scheme ?? req.scheme
  const host = c.hostname ?? req.host
  const port = c.port ?? (c.scheme !== undefined ? WELL_KNOWN[scheme] : req.port)
  const showPort = port !== undefined && port !== WELL_KNOWN[scheme]
  const path = c.path ? modifyPath(c.path, req.path, prefix) : req.path
  const h = host.includes(':') ? `[${host}]` : host
  return `${scheme}://${h}${showPort ? `:${port}` : ''}${path}${req.query ? `?${req.query}` : ''}`
}

export function requestRedirect(c: RedirectConfig): Stage {
  return () =>
    async function requestRedirect(req, ctx) {
      return {
        status: c.statusCode,
        headers: { location: redirectLocation(c, req, ctx.route?.prefix), 'content-length': '0' },
        body: null,
      }
    }
}
