/**
 * @module
 * `metadata` as the Kubernetes API server reads it: `name` (required; its format
 * depends on the kind), `namespace` (default `default`; cluster-scoped kinds have
 * none), `labels` validated like Kubernetes labels (they feed `allowedRoutes`
 * selectors), `creationTimestamp` (route precedence ties). Everything else an
 * exported manifest carries (annotations, uid, resourceVersion …) is ignored.
 *
 * @example
 * const meta = namespacedMetadata(dnsSubdomain)
 * meta.parse({ name: 'web' }) // { name: 'web', namespace: 'default', labels: {} }
 */
import * as z from 'zod'
import { DNS_SUBDOMAIN, dnsLabel } from './schema-common.js'

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = slash >= 0 ? key.slice(slash + 1) : key
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'has an invalid prefix: it must be a DNS subdomain such as example.com (lowercase)'
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name))
    return 'is not a valid label key: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, with an optional "prefix/"'
  return undefined
}

/** Kubernetes labels: string keys and values in the label syntax. */
export const labels = z.record(z.string(), z.unknown()).superRefine((map, ctx) => {
  for (const [key, value] of Object.entries(map)) {
    const keyProblem = labelKeyProblem(key)
    if (keyProblem) ctx.addIssue({ code: 'custom', path: [key], message: keyProblem, input: key })
    if (typeof value !== 'string') {
      const quote = typeof value === 'number' || typeof value === 'boolean' ? `; quote it: "${String(value)}"` : ''
      ctx.addIssue({ code: 'custom', path: [key], message: `label values must be strings${quote}`, input: value })
    } else if (value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'is not a valid label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
        input: value,
      })
    }
  }
})
  // Every value was checked to be a string above.
  .transform((map) => map as Record<string, string>)

const creationTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), {
  error: 'must be an RFC 3339 time such as 2024-05-01T12:00:00Z',
})

/** Metadata of a namespaced kind; `name` takes the kind's own name format. */
export function namespacedMetadata(name: z.ZodType<string>) {
  return z.object({
    name,
    namespace: dnsLabel.default('default'),
    labels: labels.default(() => ({})),
    creationTimestamp: creationTimestamp.optional(),
  })
}

/** Metadata of a cluster-scoped kind (Namespace): any `namespace` written is ignored, as the API server does. */
export function clusterMetadata(name: z.ZodType<string>) {
  return z
    .object({ name, labels: labels.default(() => ({})), creationTimestamp: creationTimestamp.optional() })
    .transform((m) => ({ ...m, namespace: '' }))
}
