/**
 * @module
 * Building blocks every kind shares: Kubernetes names, Gateway API group/kind/section
 * names, ports and ranges, header names, durations and the defaulting helpers.
 * Formats follow the Gateway API CRDs (shared_types.go) and Kubernetes' own name
 * validation, so a file Weft accepts is one `kubectl apply` accepts too.
 *
 * @example
 * const ref = z.object({ name: objectName, port: port.optional(), weight: intIn(0, 1_000_000).default(1) })
 */
import * as z from 'zod'
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from './duration.js'

export const GATEWAY_GROUP = 'gateway.networking.k8s.io'

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
export const DNS_LABEL = new RegExp(`^${LABEL}$`)
export const DNS_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`)

/** A whole number in [min, max], with the range in every message. */
export function intIn(min: number, max: number) {
  const range = `must be between ${min} and ${max}`
  return z
    .number()
    .int({ error: `must be a whole number between ${min} and ${max}` })
    .min(min, { error: range })
    .max(max, { error: range })
}

export const port = intIn(1, 65535)

/** RFC 1123 label: namespaces, Service names, port names. */
export const dnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, { error: 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit' })

/** RFC 1123 subdomain: most object names. */
export const dnsSubdomain = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, { error: 'must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit' })

/** Gateway API `Group`: '' is the core group. */
export const group = z
  .string()
  .max(253)
  .regex(new RegExp(`^$|^${LABEL}(\\.${LABEL})*$`), { error: 'must be an API group such as gateway.networking.k8s.io, or "" for the core group' })

/** Gateway API `Kind`: CamelCase, e.g. Service. */
export const kindName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, { error: 'must be a kind name such as Service or HTTPRoute' })

/** Gateway API `ObjectName`: any non-empty name up to 253 characters. */
export const objectName = z.string().min(1).max(253)

/** Gateway API `SectionName`: listener names, rule names. */
export const sectionName = dnsSubdomain.min(1)

/** RFC 7230 token: header and query-param names (no `:`, no spaces). */
export const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, { error: 'must be a valid HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ only (no spaces or ":")' })

/** A Gateway API duration, converted to milliseconds. */
export const durationMs = z
  .string()
  .regex(DURATION_PATTERN, { error: DURATION_HINT })
  .transform((s) => parseDuration(s)!)

/** A duration kept as written (fields not acted on yet, e.g. `retry.backoff`). */
export const durationText = z.string().regex(DURATION_PATTERN, { error: DURATION_HINT })

/** A regular expression as the data plane compiles it; the message says why it does not. */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern)
    return undefined
  } catch (err) {
    return `is not a valid regular expression (JavaScript syntax): ${(err as Error).message}`
  }
}

/** Adds an issue at `path` for every item whose key was already seen. */
export function rejectDuplicates<T>(
  items: readonly T[],
  key: (item: T) => string | undefined,
  ctx: z.core.$RefinementCtx,
  at: (index: number) => PropertyKey[],
  message: (k: string, first: number) => string,
): void {
  const seen = new Map<string, number>()
  items.forEach((item, i) => {
    const k = key(item)
    if (k === undefined) return
    const first = seen.get(k)
    if (first === undefined) seen.set(k, i)
    else ctx.addIssue({ code: 'custom', path: at(i), message: message(k, first), input: item })
  })
}
