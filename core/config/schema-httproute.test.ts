/**
 * What the Gateway API CRDs reject in an HTTPRoute is rejected, with the field
 * path and a message that says how to fix it; what the spec leaves to the data
 * plane (unresolvable references) is accepted.
 */
import { describe, expect, it } from 'vitest'
import { parseResource } from './schema.js'
import { formatPath } from './messages.js'
import type { HTTPRoute } from './types.js'

function route(spec: unknown): unknown {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'shop' }, spec }
}
const rule = (r: Record<string, unknown>) => route({ rules: [r] })
const backend = { name: 'api', port: 80 }

/** `path: message` of every problem, or [] when the route is valid. */
function problems(raw: unknown): string[] {
  const r = parseResource(raw)
  return r.ok ? [] : r.problems.map((p) => `${formatPath(p.path)}: ${p.message}`)
}

function parsed(raw: unknown): HTTPRoute {
  const r = parseResource(raw)
  if (!r.ok) throw new Error(r.problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('\n'))
  return r.resource as HTTPRoute
}

describe('HTTPRoute matches', () => {
  it.each([
    ['no-slash', 'must be an absolute path starting with "/": write /no-slash'],
    ['/a//b', 'must not contain "//"'],
    ['/a/../b', 'must not contain dot segments ("/./", "/../") or end with "/." or "/.."'],
    ['/a/.', 'must not contain dot segments ("/./", "/../") or end with "/." or "/.."'],
    ['/a%2Fb', 'must not contain an encoded slash (%2F)'],
    ['/a#b', 'must not contain "#" (clients never send the fragment)'],
    ['/a b', "may only contain URL path characters (letters, digits, -._~!$&'()*+,;=:@/) and %XX escapes; percent-encode anything else"],
  ])('Should reject the Exact and PathPrefix value %j', (value, message) => {
    for (const type of ['Exact', 'PathPrefix'])
      expect(problems(rule({ matches: [{ path: { type, value } }] }))).toEqual([`spec.rules[0].matches[0].path.value: ${message}`])
  })

  it('Should accept a RegularExpression that compiles, without a leading slash (the CRD does not ask for one)', () => {
    expect(problems(rule({ matches: [{ path: { type: 'RegularExpression', value: '.*/v[0-9]+/.*' } }] }))).toEqual([])
  })

  it('Should reject a path or header RegularExpression that does not compile as a JavaScript RegExp', () => {
    expect(
      problems(rule({ matches: [{ path: { type: 'RegularExpression', value: '/a(' }, headers: [{ type: 'RegularExpression', name: 'x', value: '[z-a]' }] }] })),
    ).toEqual([
      expect.stringMatching(/^spec\.rules\[0\]\.matches\[0\]\.path\.value: is not a valid regular expression \(JavaScript syntax\): /),
      expect.stringMatching(/^spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.value: is not a valid regular expression/),
    ])
  })

  it('Should reject invalid header names, repeated names, empty values and unknown methods', () => {
    expect(
      problems(
        rule({
          matches: [
            {
              headers: [{ name: 'x-a', value: '1' }, { name: 'bad name', value: '1' }, { name: 'x-a', value: '2' }],
              queryParams: [{ name: 'q', value: '' }],
              method: 'get',
            },
          ],
        }),
      ),
    ).toEqual([
      'spec.rules[0].matches[0].headers[1].name: must be a valid HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ only (no spaces or ":")',
      'spec.rules[0].matches[0].queryParams[0].value: must not be empty',
      'spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, not the string "get"; values are case-sensitive: write GET',
    ])
    expect(problems(rule({ matches: [{ headers: [{ name: 'x-a', value: '1' }, { name: 'x-a', value: '2' }] }] }))).toEqual([
      'spec.rules[0].matches[0].headers[1].name: "x-a" is already matched by headers[0]; each name may appear once in a match',
    ])
  })
})

describe('HTTPRoute backendRefs, hostnames and parentRefs', () => {
  it('Should bound weights to 0..1000000 and ports to 1..65535, and want a port for a Service', () => {
    expect(
      problems(rule({ backendRefs: [{ ...backend, weight: 1_000_001 }, { ...backend, weight: -1 }, { ...backend, weight: 0.5 }, { name: 'api', port: 0 }, { name: 'api' }] })),
    ).toEqual([
      'spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000',
      'spec.rules[0].backendRefs[1].weight: must be between 0 and 1000000',
      'spec.rules[0].backendRefs[2].weight: must be a whole number between 0 and 1000000',
      'spec.rules[0].backendRefs[3].port: must be between 1 and 65535',
      'spec.rules[0].backendRefs[4].port: is required when referring to a Service: give the Service port to send to',
    ])
  })

  it('Should say how to fix a quoted number', () => {
    expect(problems(rule({ backendRefs: [{ name: 'api', port: '80' }] }))).toEqual(['spec.rules[0].backendRefs[0].port: must be a number, not the string "80"; drop the quotes'])
  })

  it('Should check route hostnames: lowercase RFC 1123 names, a leading wildcard label only, no IPs', () => {
    expect(problems(route({ hostnames: ['ok.example.com', '*.example.com', 'Upper.com', '10.0.0.1', 'a.*.com', '-bad.com', 'x.com.'] }))).toEqual([
      'spec.hostnames[2]: must be lowercase: write upper.com',
      'spec.hostnames[3]: must be a DNS name, not an IP address (the Gateway API does not allow IPs in hostnames)',
      'spec.hostnames[4]: may use a wildcard only as the whole first label, as in *.example.com',
      'spec.hostnames[5]: must be a valid RFC 1123 hostname: labels of lowercase letters, digits and "-", each starting and ending with a letter or digit (bad label: "-bad")',
      'spec.hostnames[6]: must not end with ".": write x.com',
    ])
  })

  it('Should reject a parent named twice the same way, or once with and once without a sectionName', () => {
    expect(problems(route({ parentRefs: [{ name: 'edge' }, { name: 'edge' }] }))).toEqual(['spec.parentRefs[1]: repeats parentRefs[0]; remove one of them'])
    expect(problems(route({ parentRefs: [{ name: 'edge' }, { name: 'edge', sectionName: 'https' }] }))).toEqual([
      expect.stringMatching(/^spec\.parentRefs\[1\]: refers to the same parent as parentRefs\[0\]; .* sectionName/),
    ])
    expect(problems(route({ parentRefs: [{ name: 'edge', sectionName: 'http' }, { name: 'edge', sectionName: 'https' }] }))).toEqual([])
  })

  it('Should accept references the data plane answers with 500: missing Service, unknown kind, other namespace without a grant', () => {
    const r = parsed(
      rule({
        backendRefs: [
          { name: 'does-not-exist', port: 80 },
          { group: 'example.com', kind: 'Bucket', name: 'b' },
          { name: 'elsewhere', namespace: 'other', port: 80 },
        ],
      }),
    )
    expect(r.spec.rules[0]!.backendRefs.map((b) => `${b.group}/${b.kind} ${b.namespace}/${b.name}`)).toEqual([
      '/Service shop/does-not-exist',
      'example.com/Bucket shop/b',
      '/Service other/elsewhere',
    ])
  })
})

describe('HTTPRoute filters', () => {
  it('Should reject RequestRedirect together with URLRewrite in one rule', () => {
    expect(
      problems(rule({ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'a.com' } }, { type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] })),
    ).toEqual([
      'spec.rules[0].filters[1].type: RequestRedirect (filters[1]) and URLRewrite (filters[0]) cannot be used together: a redirect answers the request, so nothing is rewritten; keep one, or split the rule',
    ])
  })

  it('Should reject the same conflict among a backend’s filters', () => {
    expect(
      problems(rule({ backendRefs: [{ ...backend, filters: [{ type: 'RequestRedirect', requestRedirect: {} }, { type: 'URLRewrite', urlRewrite: {} }] }] })),
    ).toEqual([expect.stringMatching(/^spec\.rules\[0\]\.backendRefs\[0\]\.filters\[1\]\.type: RequestRedirect \(filters\[0\]\) and URLRewrite/)])
  })

  it('Should want the field its type names, and nothing else', () => {
    expect(problems(rule({ filters: [{ type: 'RequestHeaderModifier', responseHeaderModifier: { set: [{ name: 'a', value: 'b' }] } }] }))).toEqual([
      'spec.rules[0].filters[0].requestHeaderModifier: is required when type is RequestHeaderModifier',
      "spec.rules[0].filters[0].responseHeaderModifier: belongs to type ResponseHeaderModifier, but this filter's type is RequestHeaderModifier: set type: ResponseHeaderModifier or remove responseHeaderModifier",
    ])
  })

  it('Should name the filter types for an unknown one', () => {
    expect(problems(rule({ filters: [{ type: 'ExternalAuth', externalAuth: {} }] }))).toEqual([
      'spec.rules[0].filters[0].type: must be one of RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, ExtensionRef, CORS, not the string "ExternalAuth"',
    ])
  })

  it('Should reject a repeated header modifier but allow several mirrors', () => {
    const mod = { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } }
    const mirror = (name: string) => ({ type: 'RequestMirror', requestMirror: { backendRef: { name, port: 80 } } })
    expect(problems(rule({ filters: [mod, mod], backendRefs: [backend] }))).toEqual([
      'spec.rules[0].filters[1].type: RequestHeaderModifier is already used by filters[0]; a list may have only one, merge them',
    ])
    expect(problems(rule({ filters: [mirror('a'), mirror('b')], backendRefs: [backend] }))).toEqual([])
  })

  it('Should reject a RequestRedirect beside backendRefs, but not in a backend’s own filters', () => {
    const redirect = { type: 'RequestRedirect', requestRedirect: { hostname: 'example.com' } }
    expect(problems(rule({ filters: [redirect], backendRefs: [backend] }))).toEqual([
      'spec.rules[0].filters[0]: a RequestRedirect filter cannot be used together with backendRefs: the redirect answers the request itself; remove the backendRefs or the redirect',
    ])
    expect(problems(rule({ backendRefs: [{ ...backend, filters: [redirect] }] }))).toEqual([])
  })

  it('Should allow ReplacePrefixMatch only with exactly one PathPrefix match, in rule and backend filters', () => {
    const rewrite = { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }
    const redirect = { type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '' } } }
    expect(problems(rule({ matches: [{ path: { value: '/v1' } }], filters: [rewrite], backendRefs: [backend] }))).toEqual([])
    expect(problems(rule({ filters: [redirect] }))).toEqual([]) // the default match is one PathPrefix /
    expect(problems(rule({ matches: [{ path: { type: 'Exact', value: '/v1' } }], filters: [rewrite], backendRefs: [backend] }))).toEqual([
      'spec.rules[0].filters[0].urlRewrite.path.type: ReplacePrefixMatch needs the rule to have exactly one match, with a PathPrefix path (the prefix it replaces), but this rule has one Exact match; use ReplaceFullPath, or split the rule',
    ])
    expect(problems(rule({ matches: [{ path: { value: '/a' } }, { path: { value: '/b' } }], backendRefs: [{ ...backend, filters: [redirect] }] }))).toEqual([
      expect.stringMatching(/^spec\.rules\[0\]\.backendRefs\[0\]\.filters\[0\]\.requestRedirect\.path\.type: ReplacePrefixMatch needs .* but this rule has 2 matches;/),
    ])
  })

  it('Should check path modifiers, redirect fields and mirror fractions', () => {
    expect(
      problems(
        rule({
          filters: [
            { type: 'RequestRedirect', requestRedirect: { scheme: 'ftp', hostname: '*.example.com', port: 70000, statusCode: 304, path: { type: 'ReplaceFullPath', replacePrefixMatch: '/x' } } },
          ],
        }),
      ),
    ).toEqual([
      'spec.rules[0].filters[0].requestRedirect.scheme: must be one of http, https, not the string "ftp"',
      'spec.rules[0].filters[0].requestRedirect.hostname: must not be a wildcard here: give one precise hostname such as www.example.com',
      'spec.rules[0].filters[0].requestRedirect.path.replaceFullPath: is required when type is ReplaceFullPath',
      'spec.rules[0].filters[0].requestRedirect.path.replacePrefixMatch: is only allowed with type ReplacePrefixMatch; change type or remove it',
      'spec.rules[0].filters[0].requestRedirect.port: must be between 1 and 65535',
      'spec.rules[0].filters[0].requestRedirect.statusCode: must be one of 301, 302, 303, 307, 308, not number 304',
    ])
    const mirror = (m: Record<string, unknown>) => rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend, ...m } }], backendRefs: [backend] })
    expect(problems(mirror({ percent: 101 }))).toEqual(['spec.rules[0].filters[0].requestMirror.percent: must be between 0 and 100'])
    expect(problems(mirror({ fraction: { numerator: 3, denominator: 2 } }))).toEqual([
      'spec.rules[0].filters[0].requestMirror.fraction.numerator: numerator must not be greater than denominator',
    ])
    expect(problems(mirror({ percent: 5, fraction: { numerator: 1 } }))).toEqual(['spec.rules[0].filters[0].requestMirror.fraction: give either percent or fraction, not both'])
  })

  it('Should keep CORS, ExtensionRef and retry as written for later work', () => {
    const cors = { allowOrigins: ['https://*.example.com'], allowCredentials: true, maxAge: 60 }
    const r = parsed(
      rule({
        filters: [
          { type: 'CORS', cors },
          { type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'RateLimit', name: 'strict' } },
        ],
        backendRefs: [backend],
        retry: { codes: [500, 503], attempts: 2, backoff: '100ms' },
      }),
    )
    expect(r.spec.rules[0]!.filters).toEqual([
      { type: 'CORS', cors },
      { type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'RateLimit', name: 'strict' } },
    ])
    expect(r.spec.rules[0]!.retry).toEqual({ codes: [500, 503], attempts: 2, backoff: '100ms' })
    expect(problems(rule({ retry: { codes: [200], backoff: '1.5s' } }))).toEqual([
      'spec.rules[0].retry.codes[0]: must be between 400 and 599',
      expect.stringMatching(/^spec\.rules\[0\]\.retry\.backoff: must be a Gateway API duration/),
    ])
  })
})

describe('HTTPRoute timeouts and rule names', () => {
  it('Should convert durations to milliseconds, with 0s meaning disabled', () => {
    const r = parsed(route({ rules: [{ timeouts: { request: '1m30s', backendRequest: '500ms' } }, { timeouts: { request: '0s', backendRequest: '10s' } }, { timeouts: { backendRequest: '1h' } }] }))
    expect(r.spec.rules.map((rl) => rl.timeouts)).toEqual([{ request: 90_000, backendRequest: 500 }, { request: 0, backendRequest: 10_000 }, { backendRequest: 3_600_000 }])
  })

  it('Should reject a malformed duration and a backendRequest longer than the request', () => {
    expect(problems(route({ rules: [{ timeouts: { request: '1.5s' } }, { timeouts: { request: '1s', backendRequest: '1001ms' } }] }))).toEqual([
      'spec.rules[0].timeouts.request: must be a Gateway API duration such as "500ms", "10s" or "1h30m" (units h, m, s, ms; at most 4 parts of up to 5 digits each)',
      'spec.rules[1].timeouts.backendRequest: must not be longer than timeouts.request (1s): the request timeout covers every backend attempt',
    ])
  })

  it('Should want unique rule names in the section-name format', () => {
    expect(problems(route({ rules: [{ name: 'one' }, { name: 'one' }, { name: 'Two' }] }))).toEqual([
      'spec.rules[2].name: must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
      'spec.rules[1].name: rule name "one" is already used by rules[0]; rule names must be unique in a route',
    ])
    expect(problems(route({ rules: [{ name: 'one' }, { name: 'two' }, {}, {}] }))).toEqual([])
  })

  it('Should accept the v1beta1 apiVersion', () => {
    expect(parsed({ ...(route({}) as object), apiVersion: 'gateway.networking.k8s.io/v1beta1' }).apiVersion).toBe('gateway.networking.k8s.io/v1beta1')
  })
})
