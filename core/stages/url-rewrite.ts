/**
 * @module
 * URLRewrite: change the Host and/or path the backend sees. ReplacePrefixMatch needs
 * the prefix that matched, which the route stage records in `ctx.route.prefix`.
 *
 * @example
 * const stage = urlRewrite({ hostname: 'internal.example', path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } })
 */
import type { HTTPRouteFilter } from '../config/types.js'
import type { Stage } from '../pipeline/stage.js'
import { modifyPath } from './path-modifier.js'

type RewriteConfig = Extract<HTTPRouteFilter, { type: 'URLRewrite' }>['urlRewrite']

export function urlRewrite(c: RewriteConfig): Stage {
  return (next) =>
    function urlRewrite(req, ctx) {
      if (c.hostname !== undefined) {
        req.authority = c.hostname
        req.host = c.hostname
        req.headers.host = c.hostname
      }
      if (c.path) req.path = modifyPath(c.path, req.path, ctx.route?.prefix)
      return next(req, ctx)
    }
}
