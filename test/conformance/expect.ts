/**
 * @module
 * Check one response against a case's `expect`, following the conventions at the top
 * of httproute-cases.json, and say precisely what differs. Every problem is one line;
 * `formatFailure` puts them under the case, the request sent and the response received.
 *
 * @example
 * const problems = checkResponse(c, res, { expectPath: c.expect.path, forwarded })
 * if (problems.length) throw new Error(formatFailure({ title, c, res, problems }))
 */
import type { Case, CaseExpect } from './cases.js'
import type { Received } from './client.js'
import type { EchoRecord } from '../fakes/echo-backend.js'

export const INFRA_NAMESPACE = 'gateway-conformance-infra'

const is2xx = (s: number) => s >= 200 && s < 300
const q = (v: unknown) => JSON.stringify(v)

/** All values of a header in an echo body's `headers` (case-insensitive name), joined with ','. */
export function echoHeader(headers: Record<string, string[]>, name: string): { values: string[]; joined?: string } {
  const n = name.toLowerCase()
  const values = Object.entries(headers)
    .filter(([k]) => k.toLowerCase() === n)
    .flatMap(([, v]) => v)
  return { values, joined: values.length ? values.join(',') : undefined }
}

/** The backends a case accepts, or null when the gateway itself must answer; undefined when not checked. */
export function expectedBackends(e: CaseExpect): string[] | null | undefined {
  if (e.backendChecked === false) return undefined
  if (e.backendOneOf) return e.backendOneOf
  if (e.backend === null) return null
  return e.backend === undefined ? undefined : [e.backend]
}

export const podIsBackend = (pod: string, backend: string) => pod === backend || pod.startsWith(`${backend}-`)

export interface CheckOptions {
  /** expect.path with the uuid placeholder filled in. */
  expectPath?: string
  /** The path actually sent (uuid filled in), for the default header check. */
  sentHeaders?: Record<string, string>
  /** Requests the echo backends received while this request was in flight. */
  forwarded: EchoRecord[]
}

export function checkResponse(c: Case, res: Received, opts: CheckOptions): string[] {
  const e = c.expect
  const problems: string[] = []
  if (res.status === 0) return [`no response from the gateway: ${res.error ?? 'unknown error'}`]
  const accept = e.acceptStatus ?? [e.status]
  if (!accept.includes(res.status)) {
    const who = res.echo ? ` (answered by echo pod ${res.echo.pod}, backend saw path ${q(res.echo.path)})` : ''
    problems.push(`status: expected ${accept.join(' or ')}, got ${res.status}${who}`)
    return problems
  }
  if (res.error) problems.push(`the response did not complete: ${res.error}`)

  const backends = expectedBackends(e)
  const mustForward = backends !== null && e.answeredByGateway !== true
  if (backends === null || e.answeredByGateway) {
    if (res.echo) problems.push(`expected the gateway to answer itself (${e.statusOrigin ?? 'no forwarding'}), but the response is an echo from pod ${res.echo.pod}`)
    else if (opts.forwarded.length) {
      const r = opts.forwarded[0]!
      problems.push(`expected the gateway to answer itself (${e.statusOrigin ?? 'no forwarding'}), but it forwarded the request: ${r.namespace}/${r.service} received ${r.method} ${r.path} (Host ${r.host})`)
    }
  }

  const echo = res.echo
  const needEcho = mustForward && is2xx(res.status) && (backends || e.path !== undefined || e.host !== undefined || e.headers || e.absentHeaders)
  if (needEcho && !echo) {
    problems.push(`expected the echo backend's JSON body (request forwarded to ${backends?.join(' or ') ?? 'a backend'}), got ${res.body ? `a ${res.body.length}-byte body that is not an echo` : 'an empty body'}`)
  }
  if (echo && mustForward && is2xx(res.status)) {
    if (backends) {
      if (!backends.some((b) => podIsBackend(echo.pod, b))) problems.push(`backend: expected ${backends.join(' or ')}, got pod ${echo.pod} (namespace ${echo.namespace})`)
      const ns = e.backendNamespace ?? INFRA_NAMESPACE
      if (echo.namespace !== ns) problems.push(`backend namespace: expected ${ns}, got ${echo.namespace} (pod ${echo.pod})`)
    }
    if (opts.expectPath !== undefined && echo.path !== opts.expectPath) problems.push(`path seen by the backend: expected ${q(opts.expectPath)}, got ${q(echo.path)}`)
    if (e.host !== undefined && echo.host !== e.host) problems.push(`Host seen by the backend: expected ${q(e.host)}, got ${q(echo.host)}`)
    // Convention: with no explicit expectation, the request's own headers reach the backend
    // unchanged (except those the case expects removed).
    const absent = new Set((e.absentHeaders ?? []).map((h) => h.toLowerCase()))
    const wanted = e.headers ?? Object.fromEntries(Object.entries(opts.sentHeaders ?? {}).filter(([k]) => !absent.has(k.toLowerCase())))
    for (const [name, value] of Object.entries(wanted)) {
      const got = echoHeader(echo.headers, name)
      if (got.joined !== value) {
        problems.push(`request header ${name} at the backend: expected ${q(value)}, got ${got.joined === undefined ? 'no such header' : q(got.joined)}${got.values.length > 1 ? ` (${got.values.length} header lines)` : ''}`)
      }
    }
    for (const name of e.absentHeaders ?? []) {
      const got = echoHeader(echo.headers, name)
      if (got.joined !== undefined) problems.push(`request header ${name} must not reach the backend, but it got ${q(got.joined)}`)
    }
  }

  const norm = (v: string) => (e.ignoreWhitespaceInResponseHeaders ? v.replace(/\s+/g, '') : v)
  for (const [name, value] of Object.entries(e.responseHeaders ?? {})) {
    const got = res.header(name)
    if (got === undefined || norm(got) !== norm(value)) problems.push(`response header ${name}: expected ${q(value)}, got ${got === undefined ? 'no such header' : q(got)}`)
  }
  for (const [name, values] of Object.entries(e.responseHeaderOneOf ?? {})) {
    const got = res.header(name)
    if (got === undefined || !values.some((v) => norm(v) === norm(got))) {
      problems.push(`response header ${name}: expected one of ${values.map(q).join(', ')}, got ${got === undefined ? 'no such header' : q(got)}`)
    }
  }
  for (const name of e.absentResponseHeaders ?? []) {
    const got = res.header(name)
    if (got !== undefined) problems.push(`response header ${name} must be absent, got ${q(got)}`)
  }

  if (e.redirect) problems.push(...checkRedirect(e, res))
  return problems
}

function checkRedirect(e: CaseExpect, res: Received): string[] {
  const want = e.redirect!
  const location = res.header('location')
  const shown = e.redirectLocation ? ` (expected Location like ${q(e.redirectLocation)})` : ''
  if (location === undefined) return [`redirect: no Location header${shown}`]
  let url: URL
  try {
    url = new URL(location)
  } catch {
    return [`redirect: Location ${q(location)} is not an absolute URL${shown}`]
  }
  const problems: string[] = []
  const scheme = url.protocol.replace(/:$/, '')
  if (scheme !== want.scheme) problems.push(`redirect scheme: expected ${want.scheme}, got ${scheme} in Location ${q(location)}`)
  if (want.host !== null && url.hostname !== want.host) problems.push(`redirect host: expected ${want.host}, got ${url.hostname} in Location ${q(location)}`)
  // URL drops the scheme's well-known port, so '' covers "no port, or :80 for http / :443 for https".
  if (want.port === null && url.port !== '') problems.push(`redirect port: expected none (or the scheme's well-known port), got ${url.port} in Location ${q(location)}`)
  if (want.port !== null && url.port !== want.port) problems.push(`redirect port: expected ${want.port}, got ${url.port || 'none'} in Location ${q(location)}`)
  if (url.pathname !== want.path) problems.push(`redirect path: expected ${want.path}, got ${url.pathname} in Location ${q(location)}`)
  return problems
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n')
}

/** A failure message: the problems first, then the case, the request sent and the response received. */
export function formatFailure(o: { title: string; c: Case; res?: Received; problems: string[]; extra?: string }): string {
  const n = o.problems.length
  const out = [`${o.title}: ${n} problem${n === 1 ? '' : 's'}`, ...o.problems.map((p) => `  - ${p.split('\n').join('\n      ')}`)]
  out.push(`  case (${o.c.gateway}):${o.c.name ? ` ${o.c.name}` : ''}`)
  if (o.c.precondition) out.push(`    precondition: ${q(o.c.precondition)}`)
  out.push(`    request: ${q(o.c.request)}`, `    expect:  ${q(o.c.expect)}`)
  if (o.res) {
    const s = o.res.sent
    out.push(
      `  sent: ${s.protocol} ${s.method} ${s.scheme}://${s.address}:${s.port}${s.path}${s.sni ? ` (SNI ${s.sni})` : ''}`,
      ...s.headers.map(([k, v]) => `    ${k}: ${v}`),
    )
    if (o.res.status === 0) out.push(`  received: nothing after ${o.res.ms} ms: ${o.res.error}`)
    else {
      out.push(`  received: ${o.res.status} after ${o.res.ms} ms${o.res.error ? ` (then ${o.res.error})` : ''}`, ...o.res.headerLines.map(([k, v]) => `    ${k}: ${v}`))
      const e = o.res.echo
      if (e) out.push(`  echo body: pod ${e.pod} (namespace ${e.namespace}) saw ${e.method} ${e.path} ${e.proto}, Host ${q(e.host)}`, `    headers: ${q(e.headers)}`)
      else if (o.res.body) out.push('  body:', indent(o.res.body.length > 600 ? `${o.res.body.slice(0, 600)}… (${o.res.body.length} bytes)` : o.res.body.trimEnd()))
    }
  }
  if (o.extra) out.push(o.extra)
  return out.join('\n')
}
