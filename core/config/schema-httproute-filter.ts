/**
 * @module
 * `HTTPRouteFilter`, rule-level and backend-level: the header modifiers, redirect,
 * rewrite and mirror, plus `ExtensionRef` and `CORS`, which are kept as written for
 * later work. The CRD's CEL rules are enforced: the populated field must be the one
 * `type` names, a filter type may not repeat (except mirrors and extension refs),
 * and a redirect and a rewrite cannot share a list.
 *
 * @example
 * httpRouteFilterList.parse([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }])
 * // [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 302 } }]
 */
import * as z from 'zod'
import type { HTTPRouteFilter, PathModifier } from './types.js'
import { group, headerName, intIn, kindName, objectName, port, rejectDuplicates } from './schema-common.js'
import { preciseHostname } from './schema-hostname.js'
import { backendObjectReference } from './schema-refs.js'

const httpHeader = z.object({ name: headerName, value: z.string().min(1).max(4096) })

const headerModifier = z
  .object({
    set: z.array(httpHeader).default(() => []),
    add: z.array(httpHeader).default(() => []),
    remove: z.array(headerName).default(() => []),
  })
  .superRefine((m, ctx) => {
    for (const list of ['set', 'add'] as const)
      rejectDuplicates(m[list], (h) => h.name, ctx, (i) => [list, i, 'name'], (name, first) => `"${name}" already appears in ${list}[${first}]; give each header once`)
    rejectDuplicates(m.remove, (h) => h, ctx, (i) => ['remove', i], (name, first) => `"${name}" already appears in remove[${first}]`)
  })

const pathModifier = z
  .object({
    type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    for (const [type, field] of [['ReplaceFullPath', 'replaceFullPath'], ['ReplacePrefixMatch', 'replacePrefixMatch']] as const) {
      if (p.type === type && p[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required when type is ${type}`, input: p })
      if (p.type !== type && p[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `is only allowed with type ${type}; change type or remove it`, input: p })
    }
  })
  .transform((p): PathModifier =>
    p.type === 'ReplaceFullPath' ? { type: p.type, replaceFullPath: p.replaceFullPath! } : { type: p.type, replacePrefixMatch: p.replacePrefixMatch! },
  )

const requestRedirect = z.object({
  scheme: z.enum(['http', 'https']).optional(),
  hostname: preciseHostname.optional(),
  path: pathModifier.optional(),
  port: port.optional(),
  statusCode: z.literal([301, 302, 303, 307, 308]).default(302),
})

const urlRewrite = z.object({ hostname: preciseHostname.optional(), path: pathModifier.optional() })

const fraction = z
  .object({ numerator: intIn(0, 2_147_483_647), denominator: intIn(1, 2_147_483_647).default(100) })
  .refine((f) => f.numerator <= f.denominator, { error: 'numerator must not be greater than denominator', path: ['numerator'] })

const requestMirror = z
  .object({ backendRef: backendObjectReference, percent: intIn(0, 100).optional(), fraction: fraction.optional() })
  .refine((m) => m.percent === undefined || m.fraction === undefined, { error: 'give either percent or fraction, not both', path: ['fraction'] })

/** Filter type → the field holding its settings. */
const FIELD = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
} as const
type FilterType = keyof typeof FIELD
const TYPES = Object.keys(FIELD) as FilterType[]

const filter = z
  .object({
    type: z.enum(TYPES as [FilterType, ...FilterType[]]),
    requestHeaderModifier: headerModifier.optional(),
    responseHeaderModifier: headerModifier.optional(),
    requestRedirect: requestRedirect.optional(),
    urlRewrite: urlRewrite.optional(),
    requestMirror: requestMirror.optional(),
    extensionRef: z.object({ group, kind: kindName, name: objectName }).optional(),
    // CORS is kept verbatim for the resilience work; only its shape (a mapping) is checked.
    cors: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((f, ctx) => {
    const own = FIELD[f.type]
    if (f[own] === undefined) ctx.addIssue({ code: 'custom', path: [own], message: `is required when type is ${f.type}`, input: f })
    for (const t of TYPES) {
      const field = FIELD[t]
      if (t !== f.type && f[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `belongs to type ${t}, but this filter's type is ${f.type}: set type: ${t} or remove ${field}`, input: f })
    }
  })
  .transform((f) => ({ type: f.type, [FIELD[f.type]]: f[FIELD[f.type]] }) as HTTPRouteFilter)

const ONCE: FilterType[] = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'CORS']

/** A `filters` list with the CRD's list-level rules. */
export const httpRouteFilterList = z
  .array(filter)
  .superRefine((filters, ctx) => {
    const firstOf = new Map<string, number>()
    filters.forEach((f, i) => {
      const first = firstOf.get(f.type)
      if (first === undefined) firstOf.set(f.type, i)
      else if (ONCE.includes(f.type))
        ctx.addIssue({ code: 'custom', path: [i, 'type'], message: `${f.type} is already used by filters[${first}]; a list may have only one, merge them`, input: f })
    })
    const redirect = firstOf.get('RequestRedirect')
    const rewrite = firstOf.get('URLRewrite')
    if (redirect !== undefined && rewrite !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [Math.max(redirect, rewrite), 'type'],
        message: `RequestRedirect (filters[${redirect}]) and URLRewrite (filters[${rewrite}]) cannot be used together: a redirect answers the request, so nothing is rewritten; keep one, or split the rule`,
        input: filters,
      })
  })
  .default(() => [])
