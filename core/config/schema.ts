/**
 * @module
 * The kinds Weft reads and the entry point that validates one resource: pick the
 * schema from `kind` and `apiVersion` (or say which ones exist), parse it with the
 * API server's defaults, and return either the typed resource or every problem
 * with its field path. Schemas for each kind live in `schema-*.ts`.
 *
 * @example
 * const r = parseResource({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } })
 * if (r.ok) r.resource.metadata.labels // {}
 * else r.problems // [{ path: ['metadata', 'name'], message: 'is required' }]
 */
import type * as z from 'zod'
import type { AnyResource, ConfigSet, ResourceKind } from './types.js'
import { issueMessage } from './messages.js'
import { namespaceSchema, secretSchema } from './schema-core.js'
import { gatewaySchema } from './schema-gateway.js'
import { httpRouteSchema } from './schema-httproute.js'
import { referenceGrantSchema } from './schema-reference-grant.js'
import { serviceSchema } from './schema-weft.js'

export { gatewaySchema, httpRouteSchema, namespaceSchema, referenceGrantSchema, secretSchema, serviceSchema }

interface KindSpec {
  apiVersions: readonly string[]
  schema: z.ZodType<AnyResource>
  /** Where a resource of this kind goes in a ConfigSet. */
  list: keyof ConfigSet
}

const GW = 'gateway.networking.k8s.io'

/** Every kind Weft reads, with the apiVersions it accepts (the first is the preferred one). */
export const KINDS: Record<ResourceKind, KindSpec> = {
  Gateway: { apiVersions: [`${GW}/v1`], schema: gatewaySchema, list: 'gateways' },
  HTTPRoute: { apiVersions: [`${GW}/v1`, `${GW}/v1beta1`], schema: httpRouteSchema, list: 'httpRoutes' },
  ReferenceGrant: { apiVersions: [`${GW}/v1beta1`, `${GW}/v1`], schema: referenceGrantSchema, list: 'referenceGrants' },
  Namespace: { apiVersions: ['v1'], schema: namespaceSchema, list: 'namespaces' },
  Secret: { apiVersions: ['v1'], schema: secretSchema, list: 'secrets' },
  Service: { apiVersions: ['weft.dev/v1alpha1'], schema: serviceSchema, list: 'services' },
}

/** One problem inside a resource; `path` is relative to the resource's root. */
export interface Problem {
  path: PropertyKey[]
  message: string
}

export type ParseResult = { ok: true; resource: AnyResource } | { ok: false; problems: Problem[] }

const supported = (Object.entries(KINDS) as [string, KindSpec][]).map(([k, s]) => `${k} (${s.apiVersions.join(' or ')})`).join(', ')

function isKind(kind: string): kind is ResourceKind {
  return Object.prototype.hasOwnProperty.call(KINDS, kind)
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Picks the schema for `raw`, or explains why there is none. */
function schemaFor(raw: Record<string, unknown>): KindSpec | Problem[] {
  const { kind, apiVersion } = raw
  const problems: Problem[] = []
  if (typeof apiVersion !== 'string') problems.push({ path: ['apiVersion'], message: apiVersion === undefined ? 'is required' : 'must be a string' })
  if (typeof kind !== 'string') problems.push({ path: ['kind'], message: kind === undefined ? `is required; Weft reads ${supported}` : 'must be a string' })
  if (problems.length > 0) return problems
  if (!isKind(kind as string)) return [{ path: ['kind'], message: `unknown kind "${String(kind)}"; Weft reads ${supported}` }]
  const spec = KINDS[kind as ResourceKind]
  if (spec.apiVersions.includes(apiVersion as string)) return spec
  const hint =
    kind === 'Service' && apiVersion === 'v1'
      ? '; a Kubernetes core Service has no endpoints Weft can use: declare it as apiVersion weft.dev/v1alpha1 with spec.ports and spec.endpoints'
      : ''
  return [{ path: ['apiVersion'], message: `${String(kind)} is not read as "${String(apiVersion)}"; use ${spec.apiVersions.join(' or ')}${hint}` }]
}

/** Drops keys whose value is null: Kubernetes treats `field: null` (or `field:` in YAML) as absent. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (!isMapping(value)) return value
  const out: Record<string, unknown> = {}
  // defineProperty, not assignment: a `__proto__` key must stay data, not become the prototype.
  for (const [k, v] of Object.entries(value))
    if (v !== null) Object.defineProperty(out, k, { value: dropNulls(v), enumerable: true, writable: true, configurable: true })
  return out
}

/** Validates one resource document and applies the API server's defaults. */
export function parseResource(raw: unknown): ParseResult {
  if (!isMapping(raw))
    return { ok: false, problems: [{ path: [], message: `must be a resource (a mapping with apiVersion, kind, metadata …), not ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}` }] }
  const spec = schemaFor(raw)
  if (Array.isArray(spec)) return { ok: false, problems: spec }
  const parsed = spec.schema.safeParse(dropNulls(raw), { error: issueMessage })
  if (parsed.success) return { ok: true, resource: parsed.data }
  return { ok: false, problems: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) }
}
