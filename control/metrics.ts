/**
 * @module
 * The control plane's Prometheus metrics (`GET /metrics`).
 *
 * @example
 * const m = controlMetrics(() => store.version, () => waiters.size)
 * m.applies.inc()
 */
import { MetricsRegistry } from '../core/metrics/registry.js'

export function controlMetrics() {
  const registry = new MetricsRegistry()
  return {
    registry,
    version: registry.gauge('weft_control_config_version', 'The current mesh config version.'),
    applies: registry.counter('weft_control_applies_total', 'Accepted config changes (applies and deletes).', ['action']),
    rejected: registry.counter('weft_control_applies_rejected_total', 'Rejected config changes (every error is returned to the caller).', ['action']),
    bundles: registry.counter('weft_control_bundles_served_total', 'Signed bundles served (200).', ['kind']),
    notModified: registry.counter('weft_control_bundles_not_modified_total', 'Bundle requests answered 304 Not Modified.', ['kind']),
    waiting: registry.gauge('weft_control_longpolls_waiting', 'Bundle long-polls waiting for a newer version.'),
    instances: registry.gauge('weft_control_instances_registered', 'Sidecar instances with a running lease.'),
    reports: registry.counter('weft_control_status_reports_total', 'Proxy status reports received.'),
  }
}

export type ControlMetrics = ReturnType<typeof controlMetrics>
