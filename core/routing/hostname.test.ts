import { describe, expect, it } from 'vitest'
import { hostnameMatches, intersectHostnames, lookupByHostname, newHostTable, hostTableEntry } from './hostname.js'

describe('hostname rules', () => {
  it('Should match one or more labels with a wildcard, never the bare suffix', () => {
    expect(hostnameMatches('*.example.com', 'foo.example.com')).toBe(true)
    expect(hostnameMatches('*.example.com', 'foo.bar.example.com')).toBe(true)
    expect(hostnameMatches('*.example.com', 'example.com')).toBe(false)
    expect(hostnameMatches('*.example.com', 'fooexample.com')).toBe(false)
  })

  it('Should intersect listener and route hostnames as the spec describes', () => {
    expect(intersectHostnames(undefined, 'a.com')).toBe('a.com')
    expect(intersectHostnames('*.example.com', 'foo.example.com')).toBe('foo.example.com')
    expect(intersectHostnames('foo.example.com', '*.example.com')).toBe('foo.example.com')
    expect(intersectHostnames('*.example.com', '*.foo.example.com')).toBe('*.foo.example.com')
    expect(intersectHostnames('*.foo.example.com', '*.example.com')).toBe('*.foo.example.com')
    expect(intersectHostnames('foo.example.com', 'bar.example.com')).toBeUndefined()
    expect(intersectHostnames('*.example.com', 'example.com')).toBeUndefined()
  })

  it('Should prefer exact, then the most specific wildcard, then the fallback', () => {
    const t = newHostTable<string>()
    hostTableEntry(t, '', () => 'any')
    hostTableEntry(t, '*.com', () => 'com')
    hostTableEntry(t, '*.bar.com', () => 'bar')
    hostTableEntry(t, 'foo.bar.com', () => 'exact')
    expect(lookupByHostname(t, 'foo.bar.com')).toBe('exact')
    expect(lookupByHostname(t, 'x.foo.bar.com')).toBe('bar')
    expect(lookupByHostname(t, 'baz.com')).toBe('com')
    expect(lookupByHostname(t, 'bar.com')).toBe('com')
    expect(lookupByHostname(t, 'localhost')).toBe('any')
  })
})
