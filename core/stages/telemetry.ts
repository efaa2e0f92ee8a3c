/**
 * @module
 * Request metrics: `weft_requests_total{route,backend,code}` and
 * `weft_request_duration_seconds{route}` (time to the response head). Metric children
 * are cached per matched rule, so a request does map lookups on objects and numbers,
 * never builds a label string.
 *
 * @example
 * const stage = telemetry(proxyMetrics(registry))
 */
import type { MetricsRegistry } from '../metrics/registry.js'
import type { MatchedRoute, Stage } from '../pipeline/stage.js'

interface Child { inc(n?: number): void }
interface HistogramChild { observe(v: number): void }

export interface ProxyMetrics {
  requests: { labels(...v: string[]): Child }
  duration: { labels(...v: string[]): HistogramChild }
}

/** Register (or find) the proxy's request metrics; the registry outlives config swaps. */
export function proxyMetrics(registry: MetricsRegistry): ProxyMetrics {
  return {
    requests: registry.counter('weft_requests_total', 'Requests answered, by route rule (namespace/name/rule), backend Service and status code.', ['route', 'backend', 'code']),
    duration: registry.histogram('weft_request_duration_seconds', 'Time from request to response head, by route rule.', ['route']),
  }
}

interface RouteStats {
  duration: HistogramChild
  byBackend: Map<string, Map<number, Child>>
}

const NO_ROUTE: MatchedRoute = { route: '', rule: -1, label: '(none)' }

export function telemetry(m: ProxyMetrics): Stage {
  const cache = new Map<MatchedRoute, RouteStats>()
  const statsFor = (r: MatchedRoute): RouteStats => {
    let s = cache.get(r)
    if (s === undefined) cache.set(r, (s = { duration: m.duration.labels(r.label), byBackend: new Map() }))
    return s
  }
  return (next) =>
    async function telemetry(req, ctx) {
      const res = await next(req, ctx)
      const r = ctx.route ?? NO_ROUTE
      const s = statsFor(r)
      let codes = s.byBackend.get(ctx.backend ?? '')
      if (codes === undefined) s.byBackend.set(ctx.backend ?? '', (codes = new Map()))
      let c = codes.get(res.status)
      if (c === undefined) codes.set(res.status, (c = m.requests.labels(r.label, ctx.backend ?? '', String(res.status))))
      c.inc()
      s.duration.observe((performance.now() - ctx.start) / 1000)
      return res
    }
}

/** Config swap metrics every proxy exports, whatever feeds it (files or bundles). */
export function configMetrics(registry: MetricsRegistry) {
  return {
    swaps: registry.counter('weft_config_swaps_total', 'Config snapshots activated.', []).labels(),
    rejections: registry.counter('weft_config_rejections_total', 'Config changes rejected (the previous config kept serving).', []).labels(),
    version: registry.gauge('weft_config_version', 'Version of the active config snapshot.', []).labels(),
  }
}
