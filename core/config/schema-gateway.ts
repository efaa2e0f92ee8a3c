/**
 * @module
 * `Gateway` (gateway.networking.k8s.io/v1): listeners with the API server's
 * defaults (`allowedRoutes.namespaces.from: Same`, `tls.mode: Terminate`, kinds'
 * group `gateway.networking.k8s.io`, certificate refs to core `Secret`s) and the
 * CRD's CEL rules across listeners: unique names, unique port/protocol/hostname,
 * TLS settings only where the protocol takes them, HTTPS terminating with a
 * certificate. Whether the certificate Secret exists is for the compiler to say.
 *
 * @example
 * gatewaySchema.parse({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
 *   metadata: { name: 'edge' }, spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } })
 */
import * as z from 'zod'
import type { Gateway, Listener } from './types.js'
import { GATEWAY_GROUP, dnsLabel, dnsSubdomain, group, kindName, objectName, port, rejectDuplicates, sectionName } from './schema-common.js'
import { hostname } from './schema-hostname.js'
import { labelSelector } from './schema-selector.js'
import { namespacedMetadata } from './schema-metadata.js'

const certificateRef = z.object({
  group: group.default(''),
  kind: kindName.default('Secret'),
  name: objectName,
  namespace: dnsLabel.optional(),
})

const tls = z.object({
  mode: z.enum(['Terminate', 'Passthrough']).default('Terminate'),
  certificateRefs: z.array(certificateRef).default(() => []),
})

const allowedRoutes = z.object({
  namespaces: z
    .object({ from: z.enum(['All', 'Selector', 'Same']).default('Same'), selector: labelSelector.optional() })
    .refine((n) => n.from !== 'Selector' || n.selector !== undefined, {
      error: 'is required when from is Selector: give matchLabels or matchExpressions for the namespaces whose routes may attach',
      path: ['selector'],
    })
    .prefault(() => ({})),
  kinds: z.array(z.object({ group: group.default(GATEWAY_GROUP), kind: kindName })).optional(),
})

const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/

const listener = z
  .object({
    name: sectionName,
    hostname: hostname.optional(),
    port,
    protocol: z.string().regex(PROTOCOL, { error: 'must be a protocol name such as HTTP or HTTPS' }),
    tls: tls.optional(),
    allowedRoutes: allowedRoutes.prefault(() => ({})),
  })
  .superRefine((l, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: l })
    if (['HTTP', 'TCP', 'UDP'].includes(l.protocol) && l.tls) issue(['tls'], `must not be set for protocol ${l.protocol}; use protocol HTTPS to terminate TLS`)
    if (['TCP', 'UDP'].includes(l.protocol) && l.hostname !== undefined) issue(['hostname'], `must not be set for protocol ${l.protocol}`)
    if (['HTTPS', 'TLS'].includes(l.protocol) && !l.tls)
      issue(['tls'], `is required for protocol ${l.protocol}: add tls.certificateRefs naming the Secret (type kubernetes.io/tls) with the certificate and key`)
    if (l.protocol === 'HTTPS' && l.tls?.mode === 'Passthrough') issue(['tls', 'mode'], 'must be Terminate for protocol HTTPS (use protocol TLS for passthrough)')
    if (l.tls?.mode === 'Terminate' && l.tls.certificateRefs.length === 0)
      issue(['tls', 'certificateRefs'], 'must name at least one Secret (type kubernetes.io/tls) when TLS is terminated')
  })

const spec = z.object({
  gatewayClassName: objectName,
  listeners: z
    .array(listener)
    .min(1)
    .superRefine((ls, ctx) => {
      rejectDuplicates(ls, (l) => l.name, ctx, (i) => [i, 'name'], (name, first) => `listener name "${name}" is already used by listeners[${first}]; names must be unique in a Gateway`)
      rejectDuplicates(ls, (l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`, ctx, (i) => [i], (_k, first) =>
        `has the same port, protocol and hostname as listeners[${first}]; each listener needs its own combination`)
    }),
})

export const gatewaySchema = z
  .object({ apiVersion: z.string(), kind: z.literal('Gateway'), metadata: namespacedMetadata(dnsSubdomain), spec })
  .transform((g): Gateway => ({ ...g, spec: { gatewayClassName: g.spec.gatewayClassName, listeners: g.spec.listeners as Listener[] } }))
