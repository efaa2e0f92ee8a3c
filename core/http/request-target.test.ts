import { describe, expect, it } from 'vitest'
import { BadRequest } from '../errors.js'
import { authorityHost, parseAuthority, removeDotSegments, splitTarget } from './request-target.js'

function badRequest(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequest)
    return (err as BadRequest).message
  }
  throw new Error('expected a BadRequest')
}

describe('splitTarget', () => {
  it('Should split origin-form into path and query', () => {
    expect(splitTarget('/a/b?x=1&y')).toEqual({ path: '/a/b', query: 'x=1&y' })
    expect(splitTarget('/')).toEqual({ path: '/', query: '' })
    expect(splitTarget('/a?')).toEqual({ path: '/a', query: '' })
    expect(splitTarget('/a?b?c=/d')).toEqual({ path: '/a', query: 'b?c=/d' })
  })

  it('Should take the authority from an absolute-form target', () => {
    expect(splitTarget('http://Svc.NS:8080/p/q?x')).toEqual({ path: '/p/q', query: 'x', authority: 'Svc.NS:8080' })
    expect(splitTarget('HTTPS://a.example')).toEqual({ path: '/', query: '', authority: 'a.example' })
    expect(splitTarget('http://a.example?x=1')).toEqual({ path: '/', query: 'x=1', authority: 'a.example' })
    expect(splitTarget('http://[::1]:80/')).toEqual({ path: '/', query: '', authority: '[::1]:80' })
  })

  it('Should accept asterisk-form as path *', () => {
    expect(splitTarget('*')).toEqual({ path: '*', query: '' })
  })

  it('Should remove dot segments so routing and the upstream see the same path', () => {
    expect(splitTarget('/a/../b').path).toBe('/b')
    expect(splitTarget('/a/./b/../c?x=/../').path).toBe('/a/c')
    expect(splitTarget('/a/b/..').path).toBe('/a/')
    expect(splitTarget('/../../etc').path).toBe('/etc')
    expect(splitTarget('/a/.hidden/..x/...').path).toBe('/a/.hidden/..x/...')
  })

  it('Should treat percent-encoded dots in a dot segment as dots, and leave other escapes alone', () => {
    expect(splitTarget('/public/%2e%2e/admin').path).toBe('/admin')
    expect(splitTarget('/public/.%2E/admin').path).toBe('/admin')
    expect(splitTarget('/a/%2e/b').path).toBe('/a/b')
    expect(splitTarget('/file%2etxt/a%2Fb').path).toBe('/file%2etxt/a%2Fb')
  })

  it('Should refuse invalid percent-encoding in the path and the query', () => {
    expect(badRequest(() => splitTarget('/a%zz'))).toMatch(/percent-encoding at offset 2/)
    expect(badRequest(() => splitTarget('/a%2'))).toMatch(/two hex digits/)
    expect(badRequest(() => splitTarget('/a?x=%'))).toMatch(/percent-encoding/)
  })

  it('Should refuse control characters, spaces, non-ASCII, backslash and fragments', () => {
    expect(badRequest(() => splitTarget('/a\u0001b'))).toMatch(/control character.*0x01/)
    expect(badRequest(() => splitTarget('/a b'))).toMatch(/space/)
    expect(badRequest(() => splitTarget('/caf\u00e9'))).toMatch(/non-ASCII/)
    expect(badRequest(() => splitTarget('/a\\..\\b'))).toMatch(/backslash/)
    expect(badRequest(() => splitTarget('/a#frag'))).toMatch(/fragment/)
    expect(badRequest(() => splitTarget('/a?b\u007f'))).toMatch(/0x7f/)
  })

  it('Should refuse other forms and bad absolute-form authorities', () => {
    expect(badRequest(() => splitTarget('a/b'))).toMatch(/request-target must be/)
    expect(badRequest(() => splitTarget('ftp://a/'))).toMatch(/request-target must be/)
    expect(badRequest(() => splitTarget('http:///p'))).toMatch(/empty authority/)
    expect(badRequest(() => splitTarget('http://user@a.example/'))).toMatch(/userinfo/)
    expect(badRequest(() => splitTarget('http://a..b/'))).toMatch(/empty label/)
  })
})

describe('removeDotSegments', () => {
  it('Should follow RFC 3986 §5.2.4', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g')
    expect(removeDotSegments('/mid/content=5/../6')).toBe('/mid/6')
    expect(removeDotSegments('/a//../b')).toBe('/a/b')
    expect(removeDotSegments('/.')).toBe('/')
    expect(removeDotSegments('/..')).toBe('/')
    expect(removeDotSegments('/a/.')).toBe('/a/')
  })
})

describe('parseAuthority', () => {
  it('Should lower-case the host, strip a trailing dot and read the port', () => {
    expect(parseAuthority('API.Example.COM.:8443')).toEqual({ host: 'api.example.com', port: 8443 })
    expect(parseAuthority('a.example')).toEqual({ host: 'a.example' })
    expect(parseAuthority('a.example:')).toEqual({ host: 'a.example' })
    expect(parseAuthority('svc_1.ns')).toEqual({ host: 'svc_1.ns' })
    expect(parseAuthority('192.0.2.1:80')).toEqual({ host: '192.0.2.1', port: 80 })
  })

  it('Should keep IPv6 literals in brackets', () => {
    expect(parseAuthority('[::1]')).toEqual({ host: '[::1]' })
    expect(parseAuthority('[2001:DB8::A]:8080')).toEqual({ host: '[2001:db8::a]', port: 8080 })
    expect(parseAuthority('[::ffff:192.0.2.1]')).toEqual({ host: '[::ffff:192.0.2.1]' })
    expect(parseAuthority('[1:2:3:4:5:6:7:8]')).toEqual({ host: '[1:2:3:4:5:6:7:8]' })
  })

  it('Should refuse what is not a host', () => {
    expect(badRequest(() => parseAuthority(''))).toMatch(/empty host/)
    expect(badRequest(() => parseAuthority(':80'))).toMatch(/empty host/)
    expect(badRequest(() => parseAuthority('a..b'))).toMatch(/empty label/)
    expect(badRequest(() => parseAuthority('.a'))).toMatch(/empty label/)
    expect(badRequest(() => parseAuthority('a b'))).toMatch(/invalid character " "|0x20/)
    expect(badRequest(() => parseAuthority('a/b'))).toMatch(/invalid character "\/"/)
    expect(badRequest(() => parseAuthority('a%41'))).toMatch(/invalid character "%"/)
    expect(badRequest(() => parseAuthority('ex\u00e4mple.com'))).toMatch(/invalid character/)
    expect(badRequest(() => parseAuthority('a:b:c'))).toMatch(/invalid port/)
    expect(badRequest(() => parseAuthority('a:65536'))).toMatch(/out of range/)
    expect(badRequest(() => parseAuthority('a:0'))).toMatch(/out of range/)
    expect(badRequest(() => parseAuthority('a:8x'))).toMatch(/not a decimal/)
    expect(badRequest(() => parseAuthority('[::1'))).toMatch(/unterminated/)
    expect(badRequest(() => parseAuthority('[::g]'))).toMatch(/invalid IPv6/)
    expect(badRequest(() => parseAuthority('[1::2::3]'))).toMatch(/invalid IPv6/)
    expect(badRequest(() => parseAuthority('[1:2:3:4:5:6:7]'))).toMatch(/invalid IPv6/)
    expect(badRequest(() => parseAuthority('[fe80::1%25eth0]'))).toMatch(/invalid IPv6/)
    expect(badRequest(() => parseAuthority('[::1]x'))).toMatch(/after the IPv6/)
    expect(badRequest(() => parseAuthority('a'.repeat(64) + '.com'))).toMatch(/63/)
  })

  it('Should return the same string when nothing needs changing (hot path)', () => {
    const v = 'svc.ns.svc.cluster.local'
    expect(authorityHost(v)).toBe(v)
    expect(authorityHost('a.example:80')).toBe('a.example')
  })
})
