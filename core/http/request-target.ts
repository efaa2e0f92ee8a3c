/**
 * @module
 * Parse and validate what the client put on the request line and in Host, before
 * anything routes on it. A proxy that is lax here gets path-confusion bugs: the router
 * matches one path while the upstream serves another (`/public/../admin`), or two
 * parsers disagree on the host. So every request-target is checked once, strictly,
 * and rejected with a BadRequest that says what is wrong.
 *
 * Decisions (RFC 3986/9112 leave them to us):
 * - Dot segments are removed (RFC 3986 §5.2.4), and a segment spelled with
 *   percent-encoded dots (`%2e`, `.%2E`, `%2e%2e`) counts as a dot segment too: `%2e` is
 *   an encoded unreserved character, equivalent to `.` (§6.2.2.2), and many upstreams
 *   decode it, so leaving `/a/%2e%2e/b` alone would let it match `/a/` here and be
 *   served as `/b` there. No other percent-encoding is decoded: the path is forwarded
 *   as received (`%2F` stays an escaped slash, `file%2etxt` stays as is).
 * - Rejected: control characters, space, DEL, non-ASCII bytes (clients must
 *   percent-encode), `\` (some servers read it as `/`), `#` (a fragment is never part
 *   of a request-target), `%` not followed by two hex digits, userinfo in
 *   absolute-form. Other characters RFC 3986 does not allow unencoded (`{ } | ^` and
 *   the like) pass through: browsers send them and upstreams cope.
 * - Hosts are DNS names (letters, digits, `-`, `_`, dots), IPv4 or bracketed IPv6
 *   literals; other reg-name characters (sub-delims, percent-encoding) are rejected.
 *
 * @example
 * splitTarget('/a/./b/../c?x=1')           // { path: '/a/c', query: 'x=1' }
 * splitTarget('http://Svc.ns:8080/p')      // { path: '/p', query: '', authority: 'Svc.ns:8080' }
 * parseAuthority('API.Example.com.:8443') // { host: 'api.example.com', port: 8443 }
 */
import { BadRequest } from '../errors.js'

export interface RequestTarget {
  /** Path with dot segments removed, percent-encoding as received; '*' for asterisk-form. */
  path: string
  /** Query without '?', '' when absent. */
  query: string
  /** The authority of an absolute-form target (`http://authority/...`), as received. */
  authority?: string
}

/** Split and validate a request-target (origin-, absolute- or asterisk-form). */
export function splitTarget(rawUrl: string): RequestTarget {
  const target: RequestTarget = { path: '', query: '' }
  const authority = readTarget(rawUrl, target)
  if (authority !== undefined) target.authority = authority
  return target
}

/**
 * The allocation-free core of splitTarget, for the hot path: writes `path` and `query`
 * into `into` (a ProxyRequest fits) and returns the absolute-form authority, if any.
 */
export function readTarget(rawUrl: string, into: { path: string; query: string }): string | undefined {
  const first = rawUrl.charCodeAt(0)
  if (first === 0x2f /* '/' */) {
    readPathAndQuery(rawUrl, 0, into)
    return undefined
  }
  if (rawUrl === '*') {
    into.path = '*'
    into.query = ''
    return undefined
  }
  const start = schemeEnd(rawUrl)
  if (start < 0) throw new BadRequest('request-target must be a path starting with "/", an http(s) URL or "*"')
  let end = start
  while (end < rawUrl.length) {
    const c = rawUrl.charCodeAt(end)
    if (c === 0x2f || c === 0x3f) break
    if (c === 0x40 /* '@' */) throw new BadRequest('userinfo ("user@") is not allowed in a request-target')
    end++
  }
  const authority = rawUrl.slice(start, end)
  if (authority === '') throw new BadRequest('absolute-form request-target has an empty authority')
  authorityHost(authority)
  if (end === rawUrl.length) {
    into.path = '/'
    into.query = ''
  } else if (rawUrl.charCodeAt(end) === 0x3f) {
    readPathAndQuery('/' + rawUrl.slice(end), 0, into)
  } else {
    readPathAndQuery(rawUrl, end, into)
  }
  return authority
}

/** Index just past `http://` or `https://` (case-insensitive), or -1. */
function schemeEnd(url: string): number {
  const n = url.length
  if (n < 7 || (url.charCodeAt(0) | 0x20) !== 0x68 || (url.charCodeAt(1) | 0x20) !== 0x74 ||
    (url.charCodeAt(2) | 0x20) !== 0x74 || (url.charCodeAt(3) | 0x20) !== 0x70) return -1
  let i = 4
  if ((url.charCodeAt(i) | 0x20) === 0x73) i++
  return url.startsWith('://', i) ? i + 3 : -1
}

/** Validate `url` from `start` (a '/') and split it into path (normalized) and query. */
function readPathAndQuery(url: string, start: number, into: { path: string; query: string }): void {
  const n = url.length
  let dots = false
  let segStart = true
  let i = start
  for (; i < n; i++) {
    const c = url.charCodeAt(i)
    if (c === 0x3f /* '?' */) break
    if (c === 0x25 /* '%' */) {
      checkPercent(url, i)
      if (segStart && url.charCodeAt(i + 1) === 0x32 && (url.charCodeAt(i + 2) | 0x20) === 0x65) dots = true
      i += 2
      segStart = false
      continue
    }
    checkChar(c, i)
    if (c === 0x2e && segStart) dots = true
    segStart = c === 0x2f
  }
  for (let j = i + 1; j < n; j++) {
    const c = url.charCodeAt(j)
    if (c === 0x25) checkPercent(url, j)
    else checkChar(c, j)
  }
  const path = start === 0 && i === n ? url : url.slice(start, i)
  // Only a segment that starts with '.' or '%2e' can be a dot segment: the common
  // path never pays for the rewrite.
  into.path = dots ? removeDotSegments(path) : path
  into.query = i < n ? url.slice(i + 1) : ''
}

function checkChar(c: number, at: number): void {
  if (c > 0x20 && c < 0x7f && c !== 0x23 && c !== 0x5c) return
  if (c === 0x23) throw new BadRequest('a fragment ("#") is not allowed in a request-target')
  if (c === 0x5c) throw new BadRequest('backslash is not allowed in a request-target; use "/" or "%5C"')
  if (c > 0x7f) throw new BadRequest(`non-ASCII character at offset ${at} of the request-target; percent-encode it`)
  throw new BadRequest(`control character or space (0x${c.toString(16).padStart(2, '0')}) at offset ${at} of the request-target`)
}

function checkPercent(url: string, at: number): void {
  if (!isHex(url.charCodeAt(at + 1)) || !isHex(url.charCodeAt(at + 2))) {
    throw new BadRequest(`invalid percent-encoding at offset ${at} of the request-target: "%" must be followed by two hex digits`)
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66)
}

/**
 * RFC 3986 §5.2.4 on an absolute path, where `%2e` counts as '.' in a segment made only
 * of dots (see the module notes). `/a/b/../c/./d` → `/a/c/d`, `/a/..` → `/`, `/..` → `/`.
 */
export function removeDotSegments(path: string): string {
  const segments = path.split('/')
  const out: string[] = []
  const last = segments.length - 1
  for (let i = 1; i <= last; i++) {
    const seg = segments[i]!
    const dots = dotCount(seg)
    if (dots === 0) out.push(seg)
    else if (dots === 2) out.pop()
    // A trailing '.' or '..' leaves the path ending in '/': `/a/b/..` → `/a/`.
    if (dots !== 0 && i === last) out.push('')
  }
  return '/' + out.join('/')
}

/** 1 for '.', 2 for '..' (either spelled with '%2e'), 0 for any other segment. */
function dotCount(seg: string): number {
  if (seg.length === 0 || seg.length > 6) return 0
  let dots = 0
  for (let i = 0; i < seg.length; dots++) {
    if (seg.charCodeAt(i) === 0x2e) i++
    else if (seg.charCodeAt(i) === 0x25 && seg.charCodeAt(i + 1) === 0x32 && (seg.charCodeAt(i + 2) | 0x20) === 0x65) i += 3
    else return 0
  }
  return dots <= 2 ? dots : 0
}

/** Parse a Host / :authority value: lower-cased host (IPv6 kept in brackets) and optional port. */
export function parseAuthority(value: string): { host: string; port?: number } {
  const host = authorityHost(value)
  const colon = value.lastIndexOf(':')
  // The host was validated: a ':' after it (not inside an IPv6 literal) starts the port.
  if (colon < 0 || colon < value.lastIndexOf(']') || colon === value.length - 1) return { host }
  return { host, port: Number(value.slice(colon + 1)) }
}

/**
 * The validated, lower-cased host of an authority (`host[:port]`), without the port
 * and without a trailing dot; throws BadRequest saying what is wrong. The hot-path
 * half of parseAuthority: no object, and no new string when the host is already
 * lower-case and has no port.
 */
export function authorityHost(value: string): string {
  const n = value.length
  if (n === 0) throw new BadRequest('empty host')
  if (value.charCodeAt(0) === 0x5b /* '[' */) return ipLiteralHost(value)
  let upper = false
  let label = 0
  let i = 0
  for (; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x3a /* ':' */) break
    if (c === 0x2e) {
      if (label === 0) throw new BadRequest(`empty label in host "${clip(value)}"`)
      label = 0
      continue
    }
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) label++
    else if (c >= 0x41 && c <= 0x5a) { upper = true; label++ }
    else throw new BadRequest(`invalid character ${describe(c)} in host "${clip(value)}"`)
    if (label > 63) throw new BadRequest('host has a label longer than 63 characters')
  }
  if (i === 0) throw new BadRequest(`empty host in "${clip(value)}"`)
  if (i < n) checkPort(value, i)
  // A trailing dot names the same host (absolute DNS name); it is dropped so routing sees one spelling.
  const end = value.charCodeAt(i - 1) === 0x2e ? i - 1 : i
  if (end > 253) throw new BadRequest('host is longer than 253 characters')
  const host = end === n ? value : value.slice(0, end)
  return upper ? host.toLowerCase() : host
}

function ipLiteralHost(value: string): string {
  const close = value.indexOf(']')
  if (close < 0) throw new BadRequest(`unterminated IPv6 literal in host "${clip(value)}"`)
  const ip = value.slice(1, close)
  if (!isIPv6(ip)) throw new BadRequest(`invalid IPv6 literal in host "${clip(value)}"`)
  if (close + 1 < value.length) {
    if (value.charCodeAt(close + 1) !== 0x3a) throw new BadRequest(`unexpected characters after the IPv6 literal in host "${clip(value)}"`)
    checkPort(value, close + 1)
  }
  return '[' + ip.toLowerCase() + ']'
}

/** `value[colon]` is ':'; what follows must be an empty port or 1..65535 in decimal. */
function checkPort(value: string, colon: number): void {
  const digits = value.length - colon - 1
  if (digits === 0) return // `host:` is allowed and means the default port (RFC 3986 §6.2.3)
  let port = 0
  for (let i = colon + 1; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x30 || c > 0x39) throw new BadRequest(`invalid port in host "${clip(value)}": not a decimal number`)
    port = port * 10 + (c - 0x30)
  }
  if (digits > 5 || port === 0 || port > 65535) throw new BadRequest(`invalid port in host "${clip(value)}": out of range 1-65535`)
}

/** RFC 4291 text form: eight 1-4 digit hex groups, one '::' for a run of zeros, an optional trailing IPv4. */
function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false
  const gap = s.indexOf('::')
  if (gap !== -1 && s.indexOf('::', gap + 1) !== -1) return false
  const halves = gap === -1 ? [s] : [s.slice(0, gap), s.slice(gap + 2)]
  let count = 0
  for (let h = 0; h < halves.length; h++) {
    if (halves[h] === '') continue
    const groups = halves[h]!.split(':')
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!
      if (h === halves.length - 1 && g === groups.length - 1 && group.includes('.')) {
        if (!isIPv4(group)) return false
        count += 2
      } else {
        if (group.length < 1 || group.length > 4) return false
        for (let i = 0; i < group.length; i++) if (!isHex(group.charCodeAt(i))) return false
        count++
      }
    }
  }
  return gap === -1 ? count === 8 : count <= 7
}

function isIPv4(s: string): boolean {
  const parts = s.split('.')
  if (parts.length !== 4) return false
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return false
  }
  return true
}

function describe(c: number): string {
  return c > 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `0x${c.toString(16).padStart(2, '0')}`
}

/** Error messages quote client input, shortened so a 16 KiB Host does not come back whole. */
function clip(s: string): string {
  const t = s.length > 64 ? s.slice(0, 64) + '...' : s
  // Control characters would make the message itself unprintable.
  return t.replace(/[^\x20-\x7e]/g, '?')
}
