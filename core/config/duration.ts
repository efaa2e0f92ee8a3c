/**
 * @module
 * Gateway API durations (GEP-2257): one to four `<number><unit>` parts, each number
 * at most 5 digits, units `h`, `m`, `s`, `ms` — no fractions, no spaces, no `d`.
 * Weft keeps them as milliseconds; `0s` is 0, which the timeout stages read as
 * "disabled" (the spec's meaning of a zero duration).
 *
 * @example
 * parseDuration('1h30m')  // 5_400_000
 * parseDuration('500ms')  // 500
 * parseDuration('1.5s')   // undefined
 */

/** The CRD's own pattern for a `Duration` field. */
export const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }

/** Milliseconds, or undefined when `text` is not a Gateway API duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined
  let total = 0
  // `ms` is tried before `m` so "500ms" is not read as 500 minutes and a stray "s".
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!
  return total
}

/** What a duration looks like, for error messages. */
export const DURATION_HINT = 'must be a Gateway API duration such as "500ms", "10s" or "1h30m" (units h, m, s, ms; at most 4 parts of up to 5 digits each)'
