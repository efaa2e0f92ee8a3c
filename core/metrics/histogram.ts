/**
 * @module
 * A Prometheus histogram with fixed buckets, for latencies in seconds. `observe()`
 * walks the bucket bounds to the first one the value fits under and bumps one slot
 * of a preallocated array: no allocation, no string work. Counts are kept per bucket
 * and made cumulative only when a scrape renders them.
 *
 * @example
 * const latency = registry.histogram('weft_request_duration_seconds', 'Request latency.', ['route'])
 * const web = latency.labels('default/web')   // cached at swap time
 * web.observe((performance.now() - start) / 1000)
 */
import { formatValue, labelBlock, labelPairs } from './exposition.js'
import { Metric, type Labels } from './metric.js'

/**
 * Upper bounds, in seconds, for a proxy's request latency: from 0.5 ms (a local hop
 * through the sidecar) to 10 s (a slow upstream, near typical route timeouts).
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

export class HistogramChild {
  /** Observations per bucket, not cumulative; the last slot is the `+Inf` bucket. */
  readonly counts: Float64Array
  sum = 0
  count = 0
  /** `name="value",` pairs (with the trailing comma, `le` follows), rendered once. */
  readonly pairs: string
  /** `{name="value",...}` for the `_sum` and `_count` lines, rendered once. */
  readonly series: string
  readonly #bounds: Float64Array

  constructor(bounds: Float64Array, pairs: string, series: string) {
    this.#bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
    this.pairs = pairs
    this.series = series
  }

  observe(value: number): void {
    // NaN fits no bucket and would turn the sum into NaN for the life of the process.
    if (value !== value) return
    const bounds = this.#bounds
    const n = bounds.length
    // Linear, not binary: a dozen-odd bounds, and most latencies stop in the first few.
    let i = 0
    while (i < n && value > bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
    this.count++
  }
}

export class Histogram extends Metric<HistogramChild> {
  readonly type = 'histogram'
  /** The finite upper bounds, strictly increasing; `+Inf` is implicit. */
  readonly buckets: readonly number[]
  readonly #bounds: Float64Array
  /** `le` label values, formatted once. */
  readonly #le: readonly string[]

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_LATENCY_BUCKETS) {
    super(name, help, labelNames, ['le'])
    this.buckets = Object.freeze(normalizeBuckets(name, buckets))
    this.#bounds = Float64Array.from(this.buckets)
    this.#le = [...this.buckets.map(formatValue), '+Inf']
  }

  /** Slow path: looks the child up on each call. Cache `labels(...)` on hot paths. */
  observe(value: number): void
  observe(labels: Labels, value: number): void
  observe(labelsOrValue: Labels | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.childFor(undefined).observe(labelsOrValue)
    else if (value === undefined) throw new TypeError(`metric ${this.name}: observe(labels, value) needs a value`)
    else this.childFor(labelsOrValue).observe(value)
  }

  protected createChild(values: readonly string[]): HistogramChild {
    const pairs = labelPairs(this.labelNames, values)
    return new HistogramChild(this.#bounds, pairs === '' ? '' : `${pairs},`, labelBlock(this.labelNames, values))
  }

  protected renderChild(child: HistogramChild): string {
    const le = this.#le
    let out = ''
    let cumulative = 0
    for (let i = 0; i < le.length; i++) {
      cumulative += child.counts[i]!
      out += `${this.name}_bucket{${child.pairs}le="${le[i]}"} ${formatValue(cumulative)}\n`
    }
    out += `${this.name}_sum${child.series} ${formatValue(child.sum)}\n`
    out += `${this.name}_count${child.series} ${formatValue(child.count)}\n`
    return out
  }
}

/** Checks the bounds and drops a trailing `+Inf`, which every histogram has anyway. */
function normalizeBuckets(name: string, buckets: readonly number[]): number[] {
  const out = buckets.at(-1) === Infinity ? buckets.slice(0, -1) : [...buckets]
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!
    if (!Number.isFinite(b)) throw new RangeError(`histogram ${name}: bucket bound ${b} is not a finite number`)
    if (i > 0 && b <= out[i - 1]!) throw new RangeError(`histogram ${name}: bucket bounds must increase strictly (${out[i - 1]} then ${b})`)
  }
  return out
}
