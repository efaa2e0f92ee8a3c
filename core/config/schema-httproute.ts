/**
 * @module
 * `HTTPRoute` (gateway.networking.k8s.io/v1, also v1beta1): rules with the API
 * server's defaults, the CRD's rule-level CEL checks (timeouts, redirect vs
 * backendRefs, ReplacePrefixMatch needing one PathPrefix match, unique rule names)
 * and, last, the route's namespace filled into every reference that omits one.
 *
 * @example
 * const route = httpRouteSchema.parse(yamlDoc) // typed HTTPRoute, defaults applied
 */
import * as z from 'zod'
import type { HTTPRoute, HTTPRouteFilter, HTTPRouteRule } from './types.js'
import { durationText, intIn, rejectDuplicates, sectionName, dnsSubdomain } from './schema-common.js'
import { parseDuration } from './duration.js'
import { hostname } from './schema-hostname.js'
import { namespacedMetadata } from './schema-metadata.js'
import { backendObjectShape, checkParentRefs, parentRef, requireServicePort } from './schema-refs.js'
import { defaultMatch, httpRouteMatch } from './schema-httproute-match.js'
import { httpRouteFilterList } from './schema-httproute-filter.js'
import { checkRule } from './schema-httproute-rule-checks.js'

const backendRef = z
  .object({ ...backendObjectShape, weight: intIn(0, 1_000_000).default(1), filters: httpRouteFilterList })
  .superRefine(requireServicePort)

const timeouts = z
  .object({ request: durationText.optional(), backendRequest: durationText.optional() })
  .superRefine((t, ctx) => {
    if (t.request === undefined || t.backendRequest === undefined) return
    const request = parseDuration(t.request)!
    // A zero request timeout means "no limit", so any backendRequest fits inside it.
    if (request !== 0 && parseDuration(t.backendRequest)! > request)
      ctx.addIssue({
        code: 'custom',
        path: ['backendRequest'],
        message: `must not be longer than timeouts.request (${t.request}): the request timeout covers every backend attempt`,
        input: t,
      })
  })
  .transform((t) => ({
    ...(t.request !== undefined && { request: parseDuration(t.request)! }),
    ...(t.backendRequest !== undefined && { backendRequest: parseDuration(t.backendRequest)! }),
  }))

// Experimental in the Gateway API; kept as written for the resilience work.
const retry = z.object({
  codes: z.array(intIn(400, 599)).optional(),
  attempts: intIn(0, 2_147_483_647).optional(),
  backoff: durationText.optional(),
})

const rule = z
  .object({
    name: sectionName.optional(),
    // An omitted or empty list means "match everything" (the API server's default).
    matches: z
      .array(httpRouteMatch)
      .optional()
      .transform((m) => (m && m.length > 0 ? m : [defaultMatch()])),
    filters: httpRouteFilterList,
    backendRefs: z.array(backendRef).default(() => []),
    timeouts: timeouts.optional(),
    retry: retry.optional(),
  })
  .superRefine(checkRule)

const spec = z
  .object({
    parentRefs: z.array(parentRef).superRefine(checkParentRefs).default(() => []),
    hostnames: z.array(hostname).default(() => []),
    // Absent rules get the CRD default: one rule matching everything, with no backend.
    rules: z
      .array(rule)
      .superRefine((rules, ctx) =>
        rejectDuplicates(rules, (r) => r.name, ctx, (i) => [i, 'name'], (name, first) => `rule name "${name}" is already used by rules[${first}]; rule names must be unique in a route`),
      )
      .optional()
      .transform((r) => r ?? [{ matches: [defaultMatch()], filters: [], backendRefs: [] }]),
  })

function inNamespace<R extends { namespace?: string | undefined }>(ref: R, ns: string): R & { namespace: string } {
  return { ...ref, namespace: ref.namespace ?? ns }
}

/**
 * Fills the mirror targets' namespace. The filter schema already types it as the
 * final `HTTPRouteFilter` (namespace required), but until here it may be missing.
 */
function filtersIn(filters: HTTPRouteFilter[], ns: string): HTTPRouteFilter[] {
  return filters.map((f) =>
    f.type === 'RequestMirror' ? { ...f, requestMirror: { ...f.requestMirror, backendRef: inNamespace(f.requestMirror.backendRef, ns) } } : f,
  )
}

export const httpRouteSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.literal('HTTPRoute'),
    metadata: namespacedMetadata(dnsSubdomain),
    spec,
  })
  .transform((r): HTTPRoute => {
    const ns = r.metadata.namespace
    const rules = r.spec.rules.map(
      (rl): HTTPRouteRule => ({
        ...rl,
        filters: filtersIn(rl.filters, ns),
        backendRefs: rl.backendRefs.map((b) => ({ ...inNamespace(b, ns), filters: filtersIn(b.filters, ns) })),
      }),
    )
    return {
      apiVersion: r.apiVersion,
      kind: r.kind,
      metadata: r.metadata,
      spec: { parentRefs: r.spec.parentRefs.map((p) => inNamespace(p, ns)), hostnames: r.spec.hostnames, rules },
    }
  })
