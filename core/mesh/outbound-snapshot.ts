/**
 * @module
 * One immutable, fully built outbound config of a sidecar: the compiled destinations
 * of one caller namespace and the composed request chain, swapped in whole like the
 * gateway's snapshot (core/snapshot/gateway-snapshot.ts).
 *
 * Chain: telemetry → rescue → forwarding headers → outbound route (→ the rule's own chain).
 *
 * @example
 * const snap = buildOutboundSnapshot(config, 'shop', 1, deps)
 * const res = await snap.handler(req, { start: performance.now() })
 */
import type { ConfigSet } from '../config/types.js'
import { compose } from '../pipeline/compose.js'
import type { Handler } from '../pipeline/stage.js'
import type { SnapshotDeps } from '../snapshot/gateway-snapshot.js'
import { rescue } from '../stages/rescue.js'
import { telemetry } from '../stages/telemetry.js'
import { forwardingHeaders } from '../stages/forwarding-headers.js'
import { compileOutbound, type CompiledOutbound } from './compile-outbound.js'
import { outboundRoute } from './outbound-route.js'

export interface OutboundSnapshot {
  version: number
  callerNamespace: string
  config: ConfigSet
  compiled: CompiledOutbound
  handler: Handler
  activatedAt: string
}

export function buildOutboundSnapshot(config: ConfigSet, callerNamespace: string, version: number, deps: SnapshotDeps): OutboundSnapshot {
  const compiled = compileOutbound(config, callerNamespace, { config, upstream: deps.upstream })
  const handler = compose([telemetry(deps.metrics), rescue(deps.log), forwardingHeaders()])(outboundRoute(compiled, deps.upstream))
  return { version, callerNamespace, config, compiled, handler, activatedAt: new Date().toISOString() }
}

/** What `/config` shows for a sidecar: each Service port and the routes attached for this caller. */
export function describeOutbound(s: OutboundSnapshot): unknown {
  const seen = new Set<unknown>()
  const services: unknown[] = []
  for (const d of s.compiled.destinations.values()) {
    if (seen.has(d)) continue
    seen.add(d)
    services.push({ service: d.service, port: d.port, routeSet: d.routeSet ?? null, routes: d.attached })
  }
  return { version: s.version, callerNamespace: s.callerNamespace, activatedAt: s.activatedAt, services }
}
