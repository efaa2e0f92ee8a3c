/**
 * @module
 * One immutable, fully built gateway config: the compiled routes and the composed
 * request chain. Built off to the side, then swapped in with one assignment
 * (store.ts), so a request in flight finishes on the snapshot it started with.
 *
 * Chain: telemetry → rescue → forwarding headers → route (→ the rule's own chain).
 *
 * @example
 * const snap = buildGatewaySnapshot(config, 'default/edge', 1, deps)
 * const res = await snap.handler(req, { start: performance.now() })
 */
import type { ConfigSet } from '../config/types.js'
import { compose } from '../pipeline/compose.js'
import type { Handler } from '../pipeline/stage.js'
import { compileGateway, type CompiledGateway } from '../routing/compile-gateway.js'
import type { Upstream } from '../upstream/upstream.js'
import { rescue } from '../stages/rescue.js'
import { telemetry, type ProxyMetrics } from '../stages/telemetry.js'
import { forwardingHeaders } from '../stages/forwarding-headers.js'
import { route } from '../stages/route.js'

export interface SnapshotDeps {
  upstream: Upstream
  metrics: ProxyMetrics
  log: (msg: string, err?: unknown) => void
}

export interface GatewaySnapshot {
  version: number
  gatewayRef: string
  config: ConfigSet
  compiled: CompiledGateway
  handler: Handler
  activatedAt: string
}

export function buildGatewaySnapshot(config: ConfigSet, gatewayRef: string, version: number, deps: SnapshotDeps): GatewaySnapshot {
  const compiled = compileGateway(config, gatewayRef, { config, upstream: deps.upstream })
  const handler = compose([telemetry(deps.metrics), rescue(deps.log), forwardingHeaders()])(route(compiled.ports))
  return { version, gatewayRef, config, compiled, handler, activatedAt: new Date().toISOString() }
}

/** What `/config` shows: the version, listeners, and where each route attached. */
export function describeSnapshot(s: GatewaySnapshot): unknown {
  return {
    version: s.version,
    gateway: s.gatewayRef,
    activatedAt: s.activatedAt,
    listeners: [...s.compiled.ports.values()].flatMap((p) =>
      p.all.map((l) => ({ name: l.name, port: l.port, protocol: l.protocol, hostname: l.hostname ?? null, attachedRoutes: l.attachedRoutes, tlsError: l.tlsError })),
    ),
    routes: s.compiled.routeStatus,
    warnings: s.compiled.warnings,
    resources: {
      gateways: s.config.gateways.length,
      httpRoutes: s.config.httpRoutes.length,
      services: s.config.services.length,
      referenceGrants: s.config.referenceGrants.length,
      secrets: s.config.secrets.length,
      namespaces: s.config.namespaces.length,
    },
  }
}
