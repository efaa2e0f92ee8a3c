/**
 * @module
 * The pieces of the Prometheus text exposition format 0.0.4 that need care: name
 * rules, escaping and number formatting. Everything here runs at registration time
 * or at scrape time, never per request: a child's label block is rendered once,
 * when the child is created, and reused by every scrape.
 *
 * @example
 * labelBlock(['route', 'code'], ['a"b', '200'])  // '{route="a\\"b",code="200"}'
 * formatValue(Infinity)                          // '+Inf'
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Throws unless `name` is a valid Prometheus metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) {
    throw new TypeError(`invalid metric name ${JSON.stringify(name)}: must match ${METRIC_NAME.source}`)
  }
}

/**
 * Throws unless every label name is valid and unique. Names starting with `__` are
 * reserved for Prometheus itself; `reserved` adds names a metric type claims (`le`).
 */
export function checkLabelNames(metric: string, names: readonly string[], reserved: readonly string[] = []): void {
  const seen = new Set<string>()
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(`metric ${metric}: invalid label name ${JSON.stringify(name)}: must match ${LABEL_NAME.source} and not start with __`)
    }
    if (reserved.includes(name)) throw new TypeError(`metric ${metric}: label name ${name} is reserved for this metric type`)
    if (seen.has(name)) throw new TypeError(`metric ${metric}: label name ${name} is given twice`)
    seen.add(name)
  }
}

/** Label values escape backslash, double quote and line feed (and nothing else). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, escapeChar)
}

/** HELP text escapes backslash and line feed; a double quote stays as it is. */
export function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, escapeChar)
}

function escapeChar(c: string): string {
  return c === '\n' ? '\\n' : `\\${c}`
}

/** A sample value as Go's ParseFloat reads it: `+Inf`, `-Inf` and `NaN` are spelled the Prometheus way. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value)
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? '+Inf' : '-Inf'
}

/** `name="value",...` without braces, or '' when there are no labels. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = ''
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ','
    out += `${names[i]}="${escapeLabelValue(values[i]!)}"`
  }
  return out
}

/** `{name="value",...}`, or '' when there are no labels (a bare `name value` line). */
export function labelBlock(names: readonly string[], values: readonly string[]): string {
  return names.length === 0 ? '' : `{${labelPairs(names, values)}}`
}

/** The `# HELP` and `# TYPE` lines that open a metric family. */
export function familyHeader(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`
}
