/**
 * @module
 * The CRD's CEL rules on one `HTTPRouteRule` that look across its fields:
 * - a RequestRedirect filter cannot sit beside backendRefs (the redirect answers
 *   the request; the backends would never be used);
 * - ReplacePrefixMatch, in a rule filter or a backend filter, needs the rule to
 *   have exactly one match and that match to be a PathPrefix (it replaces that
 *   prefix; with no prefix there is nothing to replace).
 * They run on the parsed rule, so defaults (the PathPrefix `/` match) count, as
 * they do in the API server, which defaults before it validates.
 *
 * @example
 * z.object({ matches, filters, backendRefs }).superRefine(checkRule)
 */
import type * as z from 'zod'
import type { HTTPRouteFilter, HTTPRouteMatch } from './types.js'

interface RuleView {
  matches: HTTPRouteMatch[]
  filters: HTTPRouteFilter[]
  backendRefs: { filters: HTTPRouteFilter[] }[]
}

/** `['requestRedirect', 'path']` when the filter replaces a prefix, else undefined. */
function replacePrefixAt(f: HTTPRouteFilter): PropertyKey[] | undefined {
  if (f.type === 'RequestRedirect' && f.requestRedirect.path?.type === 'ReplacePrefixMatch') return ['requestRedirect', 'path', 'type']
  if (f.type === 'URLRewrite' && f.urlRewrite.path?.type === 'ReplacePrefixMatch') return ['urlRewrite', 'path', 'type']
  return undefined
}

function describeMatches(matches: HTTPRouteMatch[]): string {
  if (matches.length !== 1) return `${matches.length} matches`
  return `one ${matches[0]!.path.type} match`
}

export function checkRule(rule: RuleView, ctx: z.core.$RefinementCtx): void {
  if (rule.backendRefs.length > 0) {
    rule.filters.forEach((f, i) => {
      if (f.type === 'RequestRedirect')
        ctx.addIssue({
          code: 'custom',
          path: ['filters', i],
          message: 'a RequestRedirect filter cannot be used together with backendRefs: the redirect answers the request itself; remove the backendRefs or the redirect',
          input: f,
        })
    })
  }
  const onePrefix = rule.matches.length === 1 && rule.matches[0]!.path.type === 'PathPrefix'
  if (onePrefix) return
  const complain = (path: PropertyKey[]) =>
    ctx.addIssue({
      code: 'custom',
      path,
      message: `ReplacePrefixMatch needs the rule to have exactly one match, with a PathPrefix path (the prefix it replaces), but this rule has ${describeMatches(rule.matches)}; use ReplaceFullPath, or split the rule`,
      input: rule,
    })
  rule.filters.forEach((f, i) => {
    const at = replacePrefixAt(f)
    if (at) complain(['filters', i, ...at])
  })
  rule.backendRefs.forEach((b, j) =>
    b.filters.forEach((f, i) => {
      const at = replacePrefixAt(f)
      if (at) complain(['backendRefs', j, 'filters', i, ...at])
    }),
  )
}
