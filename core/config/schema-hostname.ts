/**
 * @module
 * Gateway API hostnames: RFC 1123 DNS names in lowercase, optionally led by a
 * wildcard label `*.` (route and listener hostnames), never an IP address. Redirect
 * and rewrite targets take a `PreciseHostname`: the same without the wildcard.
 * Each failure gets its own message, since "invalid hostname" alone does not say
 * which of the rules was broken.
 *
 * @example
 * hostname.parse('*.example.com')        // ok
 * preciseHostname.parse('*.example.com') // ZodError: must not be a wildcard here …
 */
import * as z from 'zod'
import { DNS_LABEL } from './schema-common.js'

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

/** Why `name` is not a valid hostname, or undefined when it is. */
export function hostnameProblem(name: string, allowWildcard: boolean): string | undefined {
  if (name === '') return 'must not be empty'
  if (IPV4.test(name) || name.includes(':')) return 'must be a DNS name, not an IP address (the Gateway API does not allow IPs in hostnames)'
  let rest = name
  if (name.startsWith('*.')) {
    if (!allowWildcard) return 'must not be a wildcard here: give one precise hostname such as www.example.com'
    rest = name.slice(2)
  }
  if (rest.includes('*')) return 'may use a wildcard only as the whole first label, as in *.example.com'
  if (name.length > 253) return 'must be at most 253 characters long'
  if (rest !== rest.toLowerCase()) return `must be lowercase: write ${name.toLowerCase()}`
  if (rest.endsWith('.')) return `must not end with ".": write ${name.replace(/\.+$/, '')}`
  for (const label of rest.split('.')) {
    if (label.length > 63) return `has a label longer than 63 characters ("${label.slice(0, 20)}…")`
    if (!DNS_LABEL.test(label))
      return `must be a valid RFC 1123 hostname: labels of lowercase letters, digits and "-", each starting and ending with a letter or digit (bad label: "${label}")`
  }
  return undefined
}

function hostnameSchema(allowWildcard: boolean) {
  return z.string().superRefine((name, ctx) => {
    const problem = hostnameProblem(name, allowWildcard)
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: name })
  })
}

/** Listener and route hostnames: `*.example.com` allowed. */
export const hostname = hostnameSchema(true)

/** Redirect and rewrite hostnames: no wildcard. */
export const preciseHostname = hostnameSchema(false)
