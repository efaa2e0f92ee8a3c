import { describe, expect, it } from 'vitest'
import { replacePrefix } from './path-modifier.js'
import { redirectLocation } from './redirect.js'

describe('ReplacePrefixMatch', () => {
  // The table in httproute_types.go (HTTPPathModifier.ReplacePrefixMatch).
  const table: [string, string, string, string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
  ]
  for (const [path, prefix, repl, want] of table) {
    it(`Should turn ${path} (prefix ${prefix}, replacement '${repl}') into ${want}`, () => {
      expect(replacePrefix(path, prefix, repl)).toBe(want)
    })
  }
})

describe('redirect Location', () => {
  const req = { scheme: 'http', host: 'example.com', port: 8080, path: '/a', query: 'q=1' }
  it('Should use the listener port when neither scheme nor port is set', () => {
    expect(redirectLocation({ statusCode: 302 }, req, undefined)).toBe('http://example.com:8080/a?q=1')
  })
  it("Should use the scheme's well-known port when only the scheme is set", () => {
    expect(redirectLocation({ scheme: 'https', statusCode: 302 }, req, undefined)).toBe('https://example.com/a?q=1')
  })
  it('Should leave a well-known port out and keep any other', () => {
    expect(redirectLocation({ port: 80, statusCode: 301 }, { ...req, port: 80 }, undefined)).toBe('http://example.com/a?q=1')
    expect(redirectLocation({ scheme: 'https', port: 8443, statusCode: 301 }, req, undefined)).toBe('https://example.com:8443/a?q=1')
  })
})
