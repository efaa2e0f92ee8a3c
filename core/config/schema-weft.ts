/**
 * @module
 * `weft.dev/v1alpha1` `Service`: what the Gateway API does not cover, a backend's
 * ports and its static endpoints. The name must be a DNS label because the mesh
 * addresses a Service as `NAME.NAMESPACE`; a dot in it would be read as the
 * namespace. Endpoints are an IP address or a DNS name plus a port; instances that
 * sidecars register add to them at run time, so the list may be empty.
 *
 * @example
 * serviceSchema.parse({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name: 'api' },
 *   spec: { ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ address: '10.0.0.5', port: 8080 }] } })
 */
import * as z from 'zod'
import type { Service } from './types.js'
import { dnsLabel, port, rejectDuplicates } from './schema-common.js'
import { hostnameProblem } from './schema-hostname.js'
import { labels, namespacedMetadata } from './schema-metadata.js'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** Why `address` is not an IP address or DNS name, or undefined when it is. */
export function addressProblem(address: string): string | undefined {
  if (IPV4.test(address)) return undefined
  if (address.startsWith('[')) return 'must be written without brackets, e.g. ::1'
  if (address.includes(':')) {
    if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address) || /^[^:]+:\d+$/.test(address)) return 'must not include a port: put the port in `port`'
    try {
      new URL(`http://[${address}]/`)
      return undefined
    } catch {
      return 'is not a valid IPv6 address'
    }
  }
  if (/^[\d.]+$/.test(address)) return 'is not a valid IPv4 address'
  const problem = hostnameProblem(address.toLowerCase(), false)
  return problem && `must be an IP address or a DNS name: ${problem}`
}

const servicePort = z.object({
  name: dnsLabel.optional(),
  port,
  targetPort: z.number({ error: 'must be a port number (named target ports are not supported)' }).pipe(port).optional(),
  appProtocol: z.string().min(1).optional(),
})

const endpoint = z.object({
  address: z.string().superRefine((a, ctx) => {
    const problem = addressProblem(a)
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: a })
  }),
  port,
  labels: labels.default(() => ({})),
})

const spec = z.object({
  ports: z
    .array(servicePort)
    .superRefine((ps, ctx) => {
      rejectDuplicates(ps, (p) => String(p.port), ctx, (i) => [i, 'port'], (p, first) => `port ${p} is already declared by ports[${first}]`)
      rejectDuplicates(ps, (p) => p.name, ctx, (i) => [i, 'name'], (n, first) => `port name "${n}" is already used by ports[${first}]`)
    })
    .default(() => []),
  endpoints: z.array(endpoint).default(() => []),
})

export const serviceSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.literal('Service'),
    metadata: namespacedMetadata(dnsLabel),
    spec: spec.prefault(() => ({})),
  })
  .transform((s): Service => s)
