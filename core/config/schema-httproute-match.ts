/**
 * @module
 * `HTTPRouteMatch`: path, headers, query params and method, with the API server's
 * defaults (path PathPrefix `/`, match type Exact) and the CRD's checks on path
 * values (absolute, no `//`, no dot segments, no encoded slash, URL characters
 * only). Regular expressions must compile as JavaScript RegExps, the dialect the
 * data plane matches with.
 *
 * @example
 * httpRouteMatch.parse({ headers: [{ name: 'version', value: 'two' }] })
 * // { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'version', value: 'two' }], queryParams: [] }
 */
import * as z from 'zod'
import type { HTTPRouteMatch } from './types.js'
import { headerName, regexProblem, rejectDuplicates } from './schema-common.js'

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/

/** The CRD's CEL rules for Exact and PathPrefix values, first failure first. */
export function pathValueProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return `must be an absolute path starting with "/"${value ? `: write /${value}` : ''}`
  if (value.includes('//')) return 'must not contain "//"'
  if (value.includes('/./') || value.includes('/../') || value.endsWith('/.') || value.endsWith('/..'))
    return 'must not contain dot segments ("/./", "/../") or end with "/." or "/.."'
  if (/%2f/i.test(value)) return 'must not contain an encoded slash (%2F)'
  if (value.includes('#')) return 'must not contain "#" (clients never send the fragment)'
  if (!PATH_CHARS.test(value))
    return "may only contain URL path characters (letters, digits, -._~!$&'()*+,;=:@/) and %XX escapes; percent-encode anything else"
  return undefined
}

const pathMatch = z
  .object({
    type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
    value: z.string().max(1024).default('/'),
  })
  .superRefine((p, ctx) => {
    const problem = p.type === 'RegularExpression' ? regexProblem(p.value) : pathValueProblem(p.value)
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem, input: p.value })
  })

function valueMatch(maxLength: number) {
  return z
    .object({
      type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
      name: headerName,
      value: z.string().min(1).max(maxLength),
    })
    .superRefine((m, ctx) => {
      const problem = m.type === 'RegularExpression' ? regexProblem(m.value) : undefined
      if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem, input: m.value })
    })
}

/** Fresh each time: resources must not share (mutable) default objects. */
export function defaultMatch(): HTTPRouteMatch {
  return { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }
}

export const httpRouteMatch = z
  .object({
    path: pathMatch.prefault(() => ({})),
    headers: z.array(valueMatch(4096)).default(() => []),
    queryParams: z.array(valueMatch(1024)).default(() => []),
    method: z.enum(HTTP_METHODS).optional(),
  })
  .superRefine((m, ctx) => {
    // The CRD makes `name` the list-map key of both lists: an exact repeat is rejected.
    for (const list of ['headers', 'queryParams'] as const)
      rejectDuplicates(m[list], (h) => h.name, ctx, (i) => [list, i, 'name'], (name, first) =>
        `"${name}" is already matched by ${list}[${first}]; each name may appear once in a match`)
  })
  .transform((m): HTTPRouteMatch => (m.method ? m : { path: m.path, headers: m.headers, queryParams: m.queryParams }))
