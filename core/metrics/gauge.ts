/**
 * @module
 * A Prometheus gauge: a value that goes up and down (connections open, bundle
 * version, endpoints healthy). Children are cached like a counter's.
 *
 * @example
 * const open = registry.gauge('weft_connections_open', 'Open downstream connections.', ['listener'])
 * const http = open.labels('http')
 * http.inc(); http.dec()
 * registry.gauge('weft_bundle_version', 'Version of the active bundle.', []).set(42)
 */
import { formatValue, labelBlock } from './exposition.js'
import { Metric, type Labels } from './metric.js'

export class GaugeChild {
  value = 0
  /** `{name="value",...}`, rendered once when the child is created. */
  readonly series: string

  constructor(series: string) {
    this.series = series
  }

  set(value: number): void {
    this.value = value
  }

  inc(n = 1): void {
    this.value += n
  }

  dec(n = 1): void {
    this.value -= n
  }
}

export class Gauge extends Metric<GaugeChild> {
  readonly type = 'gauge'

  /** Slow path: looks the child up on each call. Cache `labels(...)` on hot paths. */
  set(value: number): void
  set(labels: Labels, value: number): void
  set(labelsOrValue: Labels | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.childFor(undefined).set(labelsOrValue)
    else if (value === undefined) throw new TypeError(`metric ${this.name}: set(labels, value) needs a value`)
    else this.childFor(labelsOrValue).set(value)
  }

  inc(n?: number): void
  inc(labels: Labels, n?: number): void
  inc(labelsOrN?: Labels | number, n = 1): void {
    if (typeof labelsOrN === 'number') this.childFor(undefined).inc(labelsOrN)
    else this.childFor(labelsOrN).inc(n)
  }

  dec(n?: number): void
  dec(labels: Labels, n?: number): void
  dec(labelsOrN?: Labels | number, n = 1): void {
    if (typeof labelsOrN === 'number') this.childFor(undefined).dec(labelsOrN)
    else this.childFor(labelsOrN).dec(n)
  }

  protected createChild(values: readonly string[]): GaugeChild {
    return new GaugeChild(labelBlock(this.labelNames, values))
  }

  protected renderChild(child: GaugeChild): string {
    return `${this.name}${child.series} ${formatValue(child.value)}\n`
  }
}
