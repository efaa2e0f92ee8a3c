/**
 * @module
 * Resolve a backendRef to the endpoints it sends to, the way the spec says: an
 * unknown group/kind, a missing Service or port, or a cross-namespace reference
 * without a ReferenceGrant is *unresolved* (its share of traffic gets 500), never a
 * config error.
 *
 * @example
 * const r = resolveBackend(config, 'HTTPRoute', 'infra', { group: '', kind: 'Service', name: 'web', namespace: 'infra', port: 8080 })
 * if (r.ok) r.endpoints // [{ address: '127.0.0.1', port: 3000, key: '127.0.0.1:3000' }]
 */
import type { BackendObjectReference, ConfigSet } from '../config/types.js'
import type { Endpoint } from '../upstream/upstream.js'
import { GATEWAY_GROUP } from './attach.js'

export type ResolvedBackend =
  | { ok: true; name: string; endpoints: Endpoint[] }
  | { ok: false; name: string; reason: string }

export function endpointKey(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`
}

/** Does a ReferenceGrant in the target namespace allow `fromKind` in `fromNs` to reach `to`? */
export function referenceAllowed(
  config: ConfigSet,
  fromKind: string,
  fromNs: string,
  toGroup: string,
  toKind: string,
  toNs: string,
  toName: string,
): boolean {
  return config.referenceGrants.some(
    (g) =>
      g.metadata.namespace === toNs &&
      g.spec.from.some((f) => f.group === GATEWAY_GROUP && f.kind === fromKind && f.namespace === fromNs) &&
      g.spec.to.some((t) => t.group === toGroup && t.kind === toKind && (t.name === undefined || t.name === toName)),
  )
}

export interface ResolveOptions {
  /** Mesh (GAMMA) routes reach Services in any namespace without a ReferenceGrant (GEP-1294). */
  skipReferenceGrant?: boolean
}

export function resolveBackend(
  config: ConfigSet,
  fromKind: string,
  fromNs: string,
  ref: BackendObjectReference,
  opts: ResolveOptions = {},
): ResolvedBackend {
  const name = `${ref.namespace}/${ref.name}`
  if (ref.group !== '' || ref.kind !== 'Service')
    return { ok: false, name, reason: `backendRef ${name} has unsupported group/kind ${ref.group || 'core'}/${ref.kind}` }
  if (ref.namespace !== fromNs && opts.skipReferenceGrant !== true && !referenceAllowed(config, fromKind, fromNs, '', 'Service', ref.namespace, ref.name))
    return { ok: false, name, reason: `backendRef ${name} is in another namespace and no ReferenceGrant allows it` }
  const svc = config.services.find((s) => s.metadata.namespace === ref.namespace && s.metadata.name === ref.name)
  if (!svc) return { ok: false, name, reason: `Service ${name} does not exist` }
  const sp = ref.port === undefined && svc.spec.ports.length === 1 ? svc.spec.ports[0] : svc.spec.ports.find((p) => p.port === ref.port)
  if (!sp) return { ok: false, name, reason: `Service ${name} has no port ${ref.port ?? '(none given)'}` }
  const endpoints = svc.spec.endpoints.map((e) => {
    const port = sp.targetPort ?? e.port
    return { address: e.address, port, key: endpointKey(e.address, port) }
  })
  return { ok: true, name, endpoints }
}
