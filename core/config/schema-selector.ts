/**
 * @module
 * Kubernetes `LabelSelector` (`matchLabels`, `matchExpressions`), as a listener's
 * `allowedRoutes.namespaces.selector` takes it. The API server rejects `In`/`NotIn`
 * without values and `Exists`/`DoesNotExist` with values; so does this.
 *
 * @example
 * labelSelector.parse({ matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] })
 */
import * as z from 'zod'
import { labels } from './schema-metadata.js'

const requirement = z
  .object({
    key: z.string().min(1),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string()).optional(),
  })
  .superRefine((r, ctx) => {
    const count = r.values?.length ?? 0
    if ((r.operator === 'In' || r.operator === 'NotIn') && count === 0)
      ctx.addIssue({ code: 'custom', path: ['values'], message: `must list at least one value for operator ${r.operator}`, input: r })
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && count > 0)
      ctx.addIssue({ code: 'custom', path: ['values'], message: `must be empty for operator ${r.operator}`, input: r })
  })

export const labelSelector = z.object({
  matchLabels: labels.optional(),
  matchExpressions: z.array(requirement).optional(),
})
