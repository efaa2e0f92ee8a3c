/**
 * @module
 * A Prometheus counter: a value that only goes up (requests, errors, bytes). The
 * request path holds a `CounterChild` obtained at config-swap time and calls `inc()`,
 * which is one comparison and one property increment.
 *
 * @example
 * const errors = registry.counter('weft_upstream_errors_total', 'Upstream failures.', ['code'])
 * const timeouts = errors.labels('ERR_UPSTREAM_TIMEOUT')  // cached
 * timeouts.inc()
 * errors.inc({ code: 'ERR_UPSTREAM_RESET' })              // convenience, slow path
 */
import { formatValue, labelBlock } from './exposition.js'
import { Metric, type Labels } from './metric.js'

export class CounterChild {
  value = 0
  /** `{name="value",...}`, rendered once when the child is created. */
  readonly series: string

  constructor(series: string) {
    this.series = series
  }

  inc(n = 1): void {
    // `!(n >= 0)` also rejects NaN, which would poison the value for good.
    if (!(n >= 0)) throw new RangeError(`a counter only goes up; inc(${n}) rejected`)
    this.value += n
  }
}

export class Counter extends Metric<CounterChild> {
  readonly type = 'counter'

  /** Slow path: looks the child up on each call. Cache `labels(...)` on hot paths. */
  inc(n?: number): void
  inc(labels: Labels, n?: number): void
  inc(labelsOrN?: Labels | number, n = 1): void {
    if (typeof labelsOrN === 'number') this.childFor(undefined).inc(labelsOrN)
    else this.childFor(labelsOrN).inc(n)
  }

  protected createChild(values: readonly string[]): CounterChild {
    return new CounterChild(labelBlock(this.labelNames, values))
  }

  protected renderChild(child: CounterChild): string {
    return `${this.name}${child.series} ${formatValue(child.value)}\n`
  }
}
