/**
 * @module
 * `ReferenceGrant` (gateway.networking.k8s.io/v1beta1, also v1): lives in the
 * namespace being referred to and lists who may refer (`from`: group, kind,
 * namespace) to what (`to`: group, kind, optional name). All fields are required,
 * as in the CRD; `group: ""` is the core group (Services, Secrets).
 *
 * @example
 * referenceGrantSchema.parse({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant',
 *   metadata: { name: 'allow', namespace: 'backends' },
 *   spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }], to: [{ group: '', kind: 'Service' }] } })
 */
import * as z from 'zod'
import type { ReferenceGrant } from './types.js'
import { dnsLabel, dnsSubdomain, group, kindName, objectName } from './schema-common.js'
import { namespacedMetadata } from './schema-metadata.js'

const from = z.object({ group, kind: kindName, namespace: dnsLabel })
const to = z.object({ group, kind: kindName, name: objectName.optional() })

export const referenceGrantSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.literal('ReferenceGrant'),
    metadata: namespacedMetadata(dnsSubdomain),
    spec: z.object({ from: z.array(from).min(1), to: z.array(to).min(1) }),
  })
  .transform((g): ReferenceGrant => g)
