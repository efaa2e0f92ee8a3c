import { describe, expect, it } from 'vitest'
import { DEFAULT_LATENCY_BUCKETS, MetricsRegistry } from './registry.js'

describe('MetricsRegistry.render', () => {
  it('Should render a labelled counter in text format 0.0.4', () => {
    const registry = new MetricsRegistry()
    const requests = registry.counter('weft_requests_total', 'Requests served.', ['route', 'code'])
    requests.labels('default/web', '200').inc()
    requests.labels('default/web', '200').inc(2)
    requests.labels('default/api', '503').inc()
    expect(registry.render()).toBe(
      '# HELP weft_requests_total Requests served.\n' +
        '# TYPE weft_requests_total counter\n' +
        'weft_requests_total{route="default/web",code="200"} 3\n' +
        'weft_requests_total{route="default/api",code="503"} 1\n',
    )
  })

  it('Should render an unlabelled counter as 0 before its first increment', () => {
    const registry = new MetricsRegistry()
    registry.counter('weft_bundle_rejected_total', 'Bundles rejected.', [])
    expect(registry.render()).toBe(
      '# HELP weft_bundle_rejected_total Bundles rejected.\n' +
        '# TYPE weft_bundle_rejected_total counter\n' +
        'weft_bundle_rejected_total 0\n',
    )
  })

  it('Should render only HELP and TYPE for a labelled family with no series yet', () => {
    const registry = new MetricsRegistry()
    registry.counter('weft_errors_total', 'Errors.', ['code'])
    expect(registry.render()).toBe('# HELP weft_errors_total Errors.\n# TYPE weft_errors_total counter\n')
  })

  it('Should render a gauge, including negative, fractional and special values', () => {
    const registry = new MetricsRegistry()
    const g = registry.gauge('weft_value', 'A gauge.', ['k'])
    g.labels('a').set(42)
    g.labels('b').inc(0.5)
    g.labels('b').dec(2)
    g.labels('c').set(Infinity)
    g.labels('d').set(-Infinity)
    g.labels('e').set(NaN)
    g.labels('f').set(1e21)
    expect(registry.render()).toBe(
      '# HELP weft_value A gauge.\n' +
        '# TYPE weft_value gauge\n' +
        'weft_value{k="a"} 42\n' +
        'weft_value{k="b"} -1.5\n' +
        'weft_value{k="c"} +Inf\n' +
        'weft_value{k="d"} -Inf\n' +
        'weft_value{k="e"} NaN\n' +
        'weft_value{k="f"} 1e+21\n',
    )
  })

  it('Should render a histogram with cumulative buckets, +Inf, _sum and _count', () => {
    const registry = new MetricsRegistry()
    const h = registry.histogram('weft_request_duration_seconds', 'Request latency.', ['route'], [0.25, 0.5, 1])
    const web = h.labels('web')
    for (const v of [0.125, 0.25, 0.5, 0.75, 2]) web.observe(v) // 0.25 is on a bound: le is inclusive
    h.labels('api').observe(0.125)
    expect(registry.render()).toBe(
      '# HELP weft_request_duration_seconds Request latency.\n' +
        '# TYPE weft_request_duration_seconds histogram\n' +
        'weft_request_duration_seconds_bucket{route="web",le="0.25"} 2\n' +
        'weft_request_duration_seconds_bucket{route="web",le="0.5"} 3\n' +
        'weft_request_duration_seconds_bucket{route="web",le="1"} 4\n' +
        'weft_request_duration_seconds_bucket{route="web",le="+Inf"} 5\n' +
        'weft_request_duration_seconds_sum{route="web"} 3.625\n' +
        'weft_request_duration_seconds_count{route="web"} 5\n' +
        'weft_request_duration_seconds_bucket{route="api",le="0.25"} 1\n' +
        'weft_request_duration_seconds_bucket{route="api",le="0.5"} 1\n' +
        'weft_request_duration_seconds_bucket{route="api",le="1"} 1\n' +
        'weft_request_duration_seconds_bucket{route="api",le="+Inf"} 1\n' +
        'weft_request_duration_seconds_sum{route="api"} 0.125\n' +
        'weft_request_duration_seconds_count{route="api"} 1\n',
    )
  })

  it('Should render an unlabelled histogram with only le on its buckets and no braces on _sum/_count', () => {
    const registry = new MetricsRegistry()
    registry.histogram('h', 'H.', [], [1]).observe(3)
    expect(registry.render()).toBe(
      '# HELP h H.\n# TYPE h histogram\n' + 'h_bucket{le="1"} 0\n' + 'h_bucket{le="+Inf"} 1\n' + 'h_sum 3\n' + 'h_count 1\n',
    )
  })

  it('Should render families in registration order, separated by nothing but their HELP lines', () => {
    const registry = new MetricsRegistry()
    registry.gauge('b', 'B.').set(1)
    registry.counter('a', 'A.').inc()
    expect(registry.render()).toBe('# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a A.\n# TYPE a counter\na 1\n')
  })

  it('Should render an empty registry as an empty body', () => {
    expect(new MetricsRegistry().render()).toBe('')
  })
})

describe('escaping', () => {
  it('Should escape backslash, double quote and newline in label values, and nothing else', () => {
    const registry = new MetricsRegistry()
    registry.counter('c', 'C.', ['v']).labels('a\\b"c\nd\te{}=,').inc()
    expect(registry.render()).toContain('c{v="a\\\\b\\"c\\nd\te{}=,"} 1\n')
  })

  it('Should escape backslash and newline in HELP but keep double quotes', () => {
    const registry = new MetricsRegistry()
    registry.counter('c', 'Path "C:\\x"\nsecond line.')
    expect(registry.render().split('\n')[0]).toBe('# HELP c Path "C:\\\\x"\\nsecond line.')
  })
})

describe('children', () => {
  it('Should return the same child for the same label values, so callers can cache it', () => {
    const registry = new MetricsRegistry()
    const c = registry.counter('c', 'C.', ['route', 'code'])
    const child = c.labels('web', '200')
    expect(c.labels('web', '200')).toBe(child)
    expect(c.labels('web', '500')).not.toBe(child)
    child.inc()
    c.inc({ code: '200', route: 'web' }, 2)
    expect(child.value).toBe(3)
  })

  it('Should keep tuples apart even when values contain separators', () => {
    const c = new MetricsRegistry().counter('c', 'C.', ['a', 'b'])
    expect(c.labels('x,y', 'z')).not.toBe(c.labels('x', 'y,z'))
    expect(c.labels('x\u0000y', 'z')).not.toBe(c.labels('x', 'y\u0000z'))
  })

  it('Should keep one series when a number is passed where a string is expected', () => {
    const c = new MetricsRegistry().counter('c', 'C.', ['code'])
    expect(c.labels(200 as unknown as string)).toBe(c.labels('200'))
  })

  it('Should reject the wrong number of label values and unknown or missing label names', () => {
    const c = new MetricsRegistry().counter('c', 'C.', ['route'])
    expect(() => c.labels()).toThrow(/takes 1 label value/)
    expect(() => c.labels('a', 'b')).toThrow(/takes 1 label value/)
    expect(() => c.inc()).toThrow(/takes 1 label value/)
    expect(() => c.inc({})).toThrow(/label route is missing/)
    expect(() => c.inc({ route: 'a', extra: 'b' })).toThrow(/has no label extra/)
  })

  it('Should reject a counter decrement or NaN', () => {
    const child = new MetricsRegistry().counter('c', 'C.').labels()
    expect(() => child.inc(-1)).toThrow(RangeError)
    expect(() => child.inc(NaN)).toThrow(RangeError)
    expect(child.value).toBe(0)
  })

  it('Should stop exporting a removed series', () => {
    const registry = new MetricsRegistry()
    const c = registry.counter('c', 'C.', ['route'])
    c.labels('gone').inc()
    c.labels('kept').inc()
    expect(c.remove('gone')).toBe(true)
    expect(c.remove('gone')).toBe(false)
    expect(registry.render()).toBe('# HELP c C.\n# TYPE c counter\nc{route="kept"} 1\n')
  })

  it('Should offer slow-path convenience methods on every type', () => {
    const registry = new MetricsRegistry()
    const c = registry.counter('c', 'C.')
    c.inc()
    c.inc(2)
    const g = registry.gauge('g', 'G.', ['k'])
    g.set({ k: 'a' }, 5)
    g.inc({ k: 'a' })
    g.dec({ k: 'a' }, 3)
    registry.histogram('h', 'H.', ['k'], [1]).observe({ k: 'a' }, 0.5)
    expect(c.labels().value).toBe(3)
    expect(g.labels('a').value).toBe(3)
    expect(registry.render()).toContain('h_bucket{k="a",le="1"} 1\n')
  })
})

describe('registration', () => {
  it('Should return the existing metric when type and labels match', () => {
    const registry = new MetricsRegistry()
    const c = registry.counter('c', 'C.', ['a', 'b'])
    expect(registry.counter('c', 'Other help is tolerated.', ['a', 'b'])).toBe(c)
    const h = registry.histogram('h', 'H.', ['a'], [1, 2])
    expect(registry.histogram('h', 'H.', ['a'], [1, 2])).toBe(h)
    expect(registry.histogram('h', 'H.', ['a'], [1, 2, Infinity])).toBe(h)
    const d = registry.histogram('d', 'D.')
    expect(registry.histogram('d', 'D.', [])).toBe(d)
  })

  it('Should throw when the type, the labels, their order or the buckets differ', () => {
    const registry = new MetricsRegistry()
    registry.counter('c', 'C.', ['a', 'b'])
    registry.histogram('h', 'H.', [], [1, 2])
    expect(() => registry.gauge('c', 'C.', ['a', 'b'])).toThrow(/already registered as a counter/)
    expect(() => registry.counter('c', 'C.', ['a'])).toThrow(/already registered/)
    expect(() => registry.counter('c', 'C.', ['b', 'a'])).toThrow(/already registered/)
    expect(() => registry.histogram('h', 'H.', [], [1, 3])).toThrow(/buckets \[1, 2\]/)
    expect(() => registry.histogram('h', 'H.')).toThrow(/already registered/)
  })

  it('Should throw when a family would write sample names another family writes', () => {
    const registry = new MetricsRegistry()
    registry.histogram('latency', 'L.')
    expect(() => registry.counter('latency_count', 'C.')).toThrow(/histogram latency already writes/)
    registry.gauge('size_sum', 'S.')
    expect(() => registry.histogram('size', 'S.')).toThrow(/gauge size_sum already writes/)
  })

  it('Should validate metric names, label names and buckets', () => {
    const registry = new MetricsRegistry()
    expect(() => registry.counter('1bad', 'X.')).toThrow(/invalid metric name/)
    expect(() => registry.counter('bad-name', 'X.')).toThrow(/invalid metric name/)
    expect(() => registry.counter('ok', 'X.', ['bad-label'])).toThrow(/invalid label name/)
    expect(() => registry.counter('ok', 'X.', ['__reserved'])).toThrow(/invalid label name/)
    expect(() => registry.counter('ok', 'X.', ['a', 'a'])).toThrow(/given twice/)
    expect(() => registry.histogram('h', 'X.', ['le'])).toThrow(/reserved/)
    expect(() => registry.histogram('h', 'X.', [], [2, 1])).toThrow(/increase strictly/)
    expect(() => registry.histogram('h', 'X.', [], [1, 1])).toThrow(/increase strictly/)
    expect(() => registry.histogram('h', 'X.', [], [NaN])).toThrow(/not a finite number/)
    // A failed registration leaves nothing behind.
    expect(registry.render()).toBe('')
    expect(registry.counter('ok', 'X.', ['a'])).toBeDefined()
  })
})

describe('histogram', () => {
  it('Should place values on the bounds of the default latency buckets inclusively', () => {
    const h = new MetricsRegistry().histogram('h', 'H.')
    expect(h.buckets).toEqual(DEFAULT_LATENCY_BUCKETS)
    expect(DEFAULT_LATENCY_BUCKETS[0]).toBe(0.0005)
    expect(DEFAULT_LATENCY_BUCKETS.at(-1)).toBe(10)
    const child = h.labels()
    for (const b of DEFAULT_LATENCY_BUCKETS) child.observe(b)
    child.observe(10.5)
    expect([...child.counts]).toEqual([...DEFAULT_LATENCY_BUCKETS.map(() => 1), 1])
    expect(child.count).toBe(DEFAULT_LATENCY_BUCKETS.length + 1)
  })

  it('Should put values below the first bound in the first bucket and ignore NaN', () => {
    const child = new MetricsRegistry().histogram('h', 'H.', [], [1, 2]).labels()
    child.observe(0)
    child.observe(-1)
    child.observe(NaN)
    expect([...child.counts]).toEqual([2, 0, 0])
    expect(child.sum).toBe(-1)
    expect(child.count).toBe(2)
  })

  it('Should work with no finite buckets at all', () => {
    const registry = new MetricsRegistry()
    registry.histogram('h', 'H.', [], []).observe(7)
    expect(registry.render()).toBe('# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 7\nh_count 1\n')
  })
})
