/**
 * @module
 * RequestHeaderModifier and ResponseHeaderModifier: `set` overwrites, `add` appends a
 * value (a second header line), `remove` deletes; names are case-insensitive, so they
 * are lower-cased once here, at compile time.
 *
 * @example
 * const stage = requestHeaderModifier({ set: [{ name: 'X-Env', value: 'prod' }], add: [], remove: [] })
 */
import type { HeaderModifier } from '../config/types.js'
import type { HeaderMap } from '../http/view.js'
import type { Stage } from '../pipeline/stage.js'

export type HeaderEdit = (headers: HeaderMap) => void

export function compileHeaderModifier(m: HeaderModifier): HeaderEdit {
  const set = m.set.map((h) => [h.name.toLowerCase(), h.value] as const)
  const add = m.add.map((h) => [h.name.toLowerCase(), h.value] as const)
  const remove = m.remove.map((n) => n.toLowerCase())
  return function editHeaders(headers) {
    for (const [n, v] of set) headers[n] = v
    for (const [n, v] of add) {
      const cur = headers[n]
      headers[n] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v]
    }
    for (const n of remove) delete headers[n]
  }
}

export function requestHeaderModifier(m: HeaderModifier): Stage {
  const edit = compileHeaderModifier(m)
  return (next) =>
    function requestHeaderModifier(req, ctx) {
      edit(req.headers)
      return next(req, ctx)
    }
}

export function responseHeaderModifier(m: HeaderModifier): Stage {
  const edit = compileHeaderModifier(m)
  return (next) =>
    async function responseHeaderModifier(req, ctx) {
      const res = await next(req, ctx)
      edit(res.headers)
      return res
    }
}
