/**
 * @module
 * A small Prometheus registry built for a proxy's hot path. Families are registered
 * once (at startup or config swap), children are looked up once per label tuple and
 * cached by the caller, and `render()` writes text exposition format 0.0.4 for
 * `GET /metrics`. Portable: no runtime imports, so every proxy runtime shares it.
 *
 * @example
 * const registry = new MetricsRegistry()
 * const requests = registry.counter('weft_requests_total', 'Requests served.', ['route', 'code'])
 * const latency = registry.histogram('weft_request_duration_seconds', 'Request latency.', ['route'])
 * // at config swap, per route:
 * const ok = requests.labels('default/web', '200')
 * const timing = latency.labels('default/web')
 * // per request:
 * ok.inc(); timing.observe(0.0042)
 * // per scrape:
 * const body = registry.render()
 */
import { Counter } from './counter.js'
import { Gauge } from './gauge.js'
import { DEFAULT_LATENCY_BUCKETS, Histogram } from './histogram.js'
import type { MetricType } from './metric.js'

export { Counter, CounterChild } from './counter.js'
export { Gauge, GaugeChild } from './gauge.js'
export { DEFAULT_LATENCY_BUCKETS, Histogram, HistogramChild } from './histogram.js'
export type { Labels, MetricType } from './metric.js'

type AnyMetric = Counter | Gauge | Histogram

/** The sample names a family writes, beyond its own name. */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count'],
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, AnyMetric>()
  /** Every sample name in use, to the family that writes it: `x_sum` of histogram `x` is taken. */
  readonly #samples = new Map<string, string>()

  /**
   * Register a counter, or return the one already registered under `name` if it has
   * the same label names (in the same order: `labels()` is positional).
   */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#register(name, 'counter', labelNames, undefined, () => new Counter(name, help, labelNames))
  }

  /** Register a gauge, or return the existing one; same rules as `counter`. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#register(name, 'gauge', labelNames, undefined, () => new Gauge(name, help, labelNames))
  }

  /**
   * Register a histogram, or return the existing one if its label names and buckets
   * match. `buckets` are finite upper bounds in increasing order (`+Inf` is implicit);
   * they default to `DEFAULT_LATENCY_BUCKETS`, in seconds.
   */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = DEFAULT_LATENCY_BUCKETS): Histogram {
    return this.#register(name, 'histogram', labelNames, buckets, () => new Histogram(name, help, labelNames, buckets))
  }

  /** Every family in registration order, in Prometheus text format 0.0.4. */
  render(): string {
    let out = ''
    for (const metric of this.#metrics.values()) out += metric.render()
    return out
  }

  #register<M extends AnyMetric>(
    name: string,
    type: M['type'],
    labelNames: readonly string[],
    buckets: readonly number[] | undefined,
    create: () => M,
  ): M {
    const existing = this.#metrics.get(name)
    if (existing !== undefined) {
      // Help text may differ between call sites without harm; the first one is kept.
      const sameBuckets = buckets === undefined || (existing instanceof Histogram && sameBounds(existing.buckets, buckets))
      if (existing.type === type && sameList(existing.labelNames, labelNames) && sameBuckets) return existing as M
      throw new Error(
        `metric ${name} is already registered as a ${existing.type} with labels [${existing.labelNames.join(', ')}]` +
          (existing instanceof Histogram ? ` and buckets [${existing.buckets.join(', ')}]` : '') +
          `; cannot register it again as a ${type} with labels [${labelNames.join(', ')}]` +
          (buckets !== undefined ? ` and buckets [${buckets.join(', ')}]` : ''),
      )
    }
    const written = [name, ...SUFFIXES[type].map((suffix) => name + suffix)]
    for (const sample of written) {
      const owner = this.#samples.get(sample)
      if (owner !== undefined) throw new Error(`metric ${name} would write samples named ${sample}, which the ${this.#metrics.get(owner)!.type} ${owner} already writes`)
    }
    const metric = create()
    this.#metrics.set(name, metric)
    for (const sample of written) this.#samples.set(sample, name)
    return metric
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Compares the bounds a histogram would use, so `[..., 10]` and `[..., 10, Infinity]` are the same. */
function sameBounds(have: readonly number[], given: readonly number[]): boolean {
  const want = given.at(-1) === Infinity ? given.slice(0, -1) : given
  return have.length === want.length && have.every((x, i) => x === want[i])
}
