/**
 * @module
 * Turns zod's generic issues into messages an operator can act on: what is wrong
 * with the value they wrote and what to write instead. Checks that know better
 * (ranges, formats, the Gateway API's CEL rules) carry their own message; this map
 * covers the rest (missing fields, wrong types, enums).
 *
 * @example
 * const r = schema.safeParse(doc, { error: issueMessage })
 * formatPath(['spec', 'rules', 0, 'matches', 1, 'path', 'value']) // 'spec.rules[0].matches[1].path.value'
 */
import type * as z from 'zod'

/** `spec.rules[0].matches[1].path.value`; keys that are not plain words get `["tls.crt"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(String(seg))}]`
  }
  return out
}

/** A short description of a value as the operator wrote it, for "not X" clauses. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  return `${typeof v} ${String(v)}`
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
}

function invalidType(expected: string, input: unknown): string {
  if (input === undefined) return 'is required'
  const want = TYPE_NAMES[expected] ?? expected
  // YAML turns unquoted 8080 or true into numbers and booleans: say how to keep a string.
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean'))
    return `must be a string, not ${describeValue(input)}; quote it: "${String(input)}"`
  if ((expected === 'number' || expected === 'int') && typeof input === 'string' && input.trim() !== '' && !Number.isNaN(Number(input)))
    return `must be a number, not ${describeValue(input)}; drop the quotes`
  return `must be ${want}, not ${describeValue(input)}`
}

function invalidValue(values: readonly unknown[], input: unknown): string {
  const list = values.map((v) => String(v)).join(', ')
  const near = typeof input === 'string' ? values.find((v) => typeof v === 'string' && v.toLowerCase() === input.toLowerCase()) : undefined
  const hint = near !== undefined ? `; values are case-sensitive: write ${String(near)}` : ''
  return `must be one of ${list}, not ${describeValue(input)}${hint}`
}

/** Per-parse error map: `schema.safeParse(value, { error: issueMessage })`. */
export function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return invalidType(iss.expected, iss.input)
    case 'invalid_value':
      return invalidValue(iss.values, iss.input)
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${String(iss.minimum)} ${iss.minimum === 1 ? 'entry' : 'entries'}`
      if (iss.origin === 'string') return iss.minimum === 1 ? 'must not be empty' : `must be at least ${String(iss.minimum)} characters long`
      return `must be at least ${String(iss.minimum)}`
    case 'too_big':
      if (iss.origin === 'array') return `may have at most ${String(iss.maximum)} entries`
      if (iss.origin === 'string') return `must be at most ${String(iss.maximum)} characters long`
      return `must be at most ${String(iss.maximum)}`
    case 'invalid_format':
      return `has an invalid format${iss.pattern ? ` (must match ${iss.pattern})` : ''}`
    case 'invalid_union':
      return 'does not match any accepted form'
    default:
      return undefined
  }
}
