/**
 * @module
 * Check one mesh case's answer against everything its `expect` names: status, the
 * serving workload (pod-name prefix) and its namespace, "answered by the sidecar"
 * (nothing forwarded), the path, the request headers the backend saw (and the
 * absent ones), response headers (and absent ones), the redirect Location.
 * The weighted split is checked by the test itself (it needs many requests).
 *
 * @example
 * const problems = checkMeshResponse(c, res, forwarded)
 */
import type { EchoRecord } from '../fakes/echo-backend.js'
import { echoHeader, podIsBackend } from '../conformance/expect.js'
import { MESH_NAMESPACE, type MeshCase } from './cases.js'
import type { AppResponse } from './client.js'

const q = (s: string) => JSON.stringify(s)

export function checkMeshResponse(c: MeshCase, res: AppResponse, forwarded: readonly EchoRecord[]): string[] {
  const e = c.expect
  if (res.status === 0) return [`no response from the sidecar: ${res.error ?? 'unknown error'}`]
  const problems: string[] = []
  if (res.status !== e.status) {
    const who = res.echo ? ` (answered by echo pod ${res.echo.pod}, backend saw path ${q(res.echo.path)})` : ` (body ${q(res.body.slice(0, 200))})`
    return [`status: expected ${e.status}, got ${res.status}${who}`]
  }
  if (res.error) problems.push(`the response did not complete: ${res.error}`)

  const sidecarAnswers = e.backend === null || e.statusOrigin === 'sidecar'
  if (sidecarAnswers) {
    if (res.echo) problems.push(`expected the caller's sidecar to answer itself, but the response is an echo from pod ${res.echo.pod}`)
    else if (forwarded.length > 0) {
      const r = forwarded[0]!
      problems.push(`expected the caller's sidecar to answer itself, but it forwarded the request: ${r.namespace}/${r.service} received ${r.method} ${r.path} (Host ${r.host})`)
    }
  } else {
    const echo = res.echo
    if (!echo) {
      problems.push(`expected the echo backend's JSON body, got ${res.body ? `a ${res.body.length}-byte body that is not an echo: ${q(res.body.slice(0, 200))}` : 'an empty body'}`)
    } else {
      const backends = e.backendOneOf ?? (e.backend ? [e.backend] : undefined)
      if (backends && !backends.some((b) => podIsBackend(echo.pod, b))) problems.push(`backend: expected ${backends.join(' or ')}, got pod ${echo.pod} (namespace ${echo.namespace})`)
      const ns = e.backendNamespace ?? MESH_NAMESPACE
      if (backends && echo.namespace !== ns) problems.push(`backend namespace: expected ${ns}, got ${echo.namespace}`)
      if (typeof e.path === 'string' && echo.path !== e.path) problems.push(`path seen by the backend: expected ${q(e.path)}, got ${q(echo.path)}`)
      // With no explicit expectation, the request's own headers reach the backend unchanged.
      const absent = new Set((e.absentHeaders ?? []).map((h) => h.toLowerCase()))
      const wanted = e.headers ?? Object.fromEntries(Object.entries(c.request.headers ?? {}).filter(([k]) => !absent.has(k.toLowerCase())))
      for (const [name, value] of Object.entries(wanted)) {
        const got = echoHeader(echo.headers, name)
        if (got.joined !== value) problems.push(`request header ${name} at the backend: expected ${q(value)}, got ${got.joined === undefined ? 'no such header' : q(got.joined)}`)
      }
      for (const name of e.absentHeaders ?? []) {
        const got = echoHeader(echo.headers, name)
        if (got.joined !== undefined) problems.push(`request header ${name} must not reach the backend, but it got ${q(got.joined)}`)
      }
    }
  }

  for (const [name, value] of Object.entries(e.responseHeaders ?? {})) {
    const got = res.header(name)
    if (got !== value) problems.push(`response header ${name}: expected ${q(value)}, got ${got === undefined ? 'no such header' : q(got)}`)
  }
  for (const name of e.absentResponseHeaders ?? []) {
    const got = res.header(name)
    if (got !== undefined) problems.push(`response header ${name} must be absent, got ${q(got)}`)
  }
  if (e.redirect) problems.push(...checkRedirect(c, res))
  return problems
}

function checkRedirect(c: MeshCase, res: AppResponse): string[] {
  const want = c.expect.redirect!
  const location = res.header('location')
  const shown = c.expect.redirectLocation ? ` (expected ${q(c.expect.redirectLocation)})` : ''
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
  if (url.hostname !== want.host) problems.push(`redirect host: expected ${want.host}, got ${url.hostname} in Location ${q(location)}`)
  // URL drops the scheme's well-known port: '' is "none, or 80 for http / 443 for https".
  const port = url.port === '' ? null : Number(url.port)
  if (port !== want.port) problems.push(`redirect port: expected ${want.port ?? 'none'}, got ${port ?? 'none'} in Location ${q(location)}`)
  if (url.pathname + url.search !== want.path && url.pathname !== want.path) problems.push(`redirect path: expected ${want.path}, got ${url.pathname} in Location ${q(location)}`)
  if (c.expect.redirectLocation !== undefined && location !== c.expect.redirectLocation) problems.push(`redirect Location: expected ${q(c.expect.redirectLocation)}, got ${q(location)}`)
  return problems
}
