/**
 * @module
 * References from a route to other objects: `parentRefs` (a Gateway, or a Service
 * for GAMMA mesh routes) and backend references (`BackendObjectReference`). The API
 * server fills in group and kind; the route's own namespace is filled in later, by
 * the HTTPRoute schema, which knows it. Whether the referent exists is not checked
 * here: the Gateway API makes an unresolvable reference a 500 at request time,
 * not a config error.
 *
 * @example
 * parentRef.parse({ name: 'edge' }) // { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' }
 */
import * as z from 'zod'
import { GATEWAY_GROUP, dnsLabel, group, kindName, objectName, port, sectionName } from './schema-common.js'

/** Fields of `BackendObjectReference`; `namespace` stays optional until the route fills it in. */
export const backendObjectShape = {
  group: group.default(''),
  kind: kindName.default('Service'),
  name: objectName,
  namespace: dnsLabel.optional(),
  port: port.optional(),
}

/** CRD rule "Must have port for Service reference". */
export function requireServicePort(ref: { group: string; kind: string; port?: number | undefined }, ctx: z.core.$RefinementCtx): void {
  if (ref.group === '' && ref.kind === 'Service' && ref.port === undefined)
    ctx.addIssue({ code: 'custom', path: ['port'], message: 'is required when referring to a Service: give the Service port to send to', input: ref })
}

export const backendObjectReference = z.object(backendObjectShape).superRefine(requireServicePort)

export const parentRef = z.object({
  group: group.default(GATEWAY_GROUP),
  kind: kindName.default('Gateway'),
  namespace: dnsLabel.optional(),
  name: objectName,
  sectionName: sectionName.optional(),
  port: port.optional(),
})

type ParentRef = z.output<typeof parentRef>

/**
 * The CRD's two CEL rules on `parentRefs`: references to one parent must all set
 * sectionName/port or all leave them out, and no two may be identical. As in the
 * CRD, an omitted namespace differs from a written one here.
 */
export function checkParentRefs(refs: readonly ParentRef[], ctx: z.core.$RefinementCtx): void {
  const parentOf = (p: ParentRef) => `${p.group}/${p.kind}/${p.namespace ?? ''}/${p.name}`
  refs.forEach((p, i) => {
    for (let j = 0; j < i; j++) {
      const q = refs[j]!
      if (parentOf(p) !== parentOf(q)) continue
      if ((p.sectionName === undefined) !== (q.sectionName === undefined) || (p.port === undefined) !== (q.port === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `refers to the same parent as parentRefs[${j}]; when a route names one parent more than once, each reference must set sectionName (or port) to pick a different listener`,
          input: p,
        })
        return
      }
      if (p.sectionName === q.sectionName && p.port === q.port) {
        ctx.addIssue({ code: 'custom', path: [i], message: `repeats parentRefs[${j}]; remove one of them`, input: p })
        return
      }
    }
  })
}
