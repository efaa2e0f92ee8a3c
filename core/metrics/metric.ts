/**
 * @module
 * What counters, gauges and histograms share: a family (name, help, label names) and
 * its children, one per distinct tuple of label values. Looking a child up builds a
 * key string, so it belongs to config-swap time: callers keep the child and the
 * request path touches only the child's own fields.
 *
 * @example
 * const requests = registry.counter('weft_requests_total', 'Requests.', ['route'])
 * const perRoute = requests.labels('default/web')   // at swap time, once per route
 * perRoute.inc()                                    // per request: one property increment
 */
import { checkLabelNames, checkMetricName, familyHeader } from './exposition.js'

/** Label values by label name, for the convenience (slow-path) methods. */
export type Labels = Readonly<Record<string, string>>

export type MetricType = 'counter' | 'gauge' | 'histogram'

export abstract class Metric<Child> {
  abstract readonly type: MetricType
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  /** Insertion-ordered, so a scrape lists series in the order they first appeared. */
  protected readonly children = new Map<string, Child>()

  // No parameter properties: they are not erasable syntax, and Node's type stripping rejects them.
  constructor(name: string, help: string, labelNames: readonly string[], reservedLabels: readonly string[] = []) {
    checkMetricName(name)
    checkLabelNames(name, labelNames, reservedLabels)
    this.name = name
    this.help = help
    // A copy, so a caller mutating its array later cannot desynchronise rendered series.
    this.labelNames = Object.freeze([...labelNames])
  }

  /**
   * The child for these label values (positional, in `labelNames` order), created on
   * first use. Cache the result: this call builds a key and does a map lookup.
   */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new TypeError(
        `metric ${this.name} takes ${this.labelNames.length} label value(s) [${this.labelNames.join(', ')}], got ${values.length}`,
      )
    }
    // String() so that a number slipped past the types cannot make a second series
    // that renders identically; JSON keeps tuples unambiguous whatever the values hold.
    const strings = values.map(String)
    const key = strings.length === 1 ? strings[0]! : JSON.stringify(strings)
    let child = this.children.get(key)
    if (child === undefined) {
      child = this.createChild(strings)
      this.children.set(key, child)
    }
    return child
  }

  /**
   * Forget the series for these label values (say, a route removed by a config swap),
   * so it stops being exported. A child still cached elsewhere keeps counting unseen:
   * look children up again after removing.
   */
  remove(...values: string[]): boolean {
    const strings = values.map(String)
    return this.children.delete(strings.length === 1 ? strings[0]! : JSON.stringify(strings))
  }

  /** The child for a `{ labelName: value }` object: the slow path behind `inc(labels)` and friends. */
  protected childFor(labels: Labels | undefined): Child {
    if (labels === undefined) return this.labels()
    const values: string[] = []
    for (const name of this.labelNames) {
      const value = labels[name]
      if (value === undefined) throw new TypeError(`metric ${this.name}: label ${name} is missing`)
      values.push(value)
    }
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name)) throw new TypeError(`metric ${this.name} has no label ${name}`)
    }
    return this.labels(...values)
  }

  /** The whole family in text format 0.0.4: HELP, TYPE, then every child's samples. */
  render(): string {
    // An unlabelled metric always has its one series, so it is exported as 0 before its first event.
    if (this.labelNames.length === 0) this.labels()
    let out = familyHeader(this.name, this.help, this.type)
    for (const child of this.children.values()) out += this.renderChild(child)
    return out
  }

  protected abstract createChild(values: readonly string[]): Child
  protected abstract renderChild(child: Child): string
}
