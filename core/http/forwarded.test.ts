import { describe, expect, it } from 'vitest'
import { addForwardingHeaders } from './forwarded.js'
import type { ProxyRequest } from './view.js'

function req(over: Partial<ProxyRequest> = {}): ProxyRequest {
  return {
    method: 'GET', scheme: 'http', authority: 'a.example', host: 'a.example', path: '/', query: '',
    headers: {}, body: null, remoteAddress: '192.0.2.1', port: 80, ...over,
  }
}

describe('addForwardingHeaders', () => {
  it('Should set x-forwarded-for, x-forwarded-proto and forwarded for a first hop', () => {
    const r = req()
    addForwardingHeaders(r)
    expect(r.headers['x-forwarded-for']).toBe('192.0.2.1')
    expect(r.headers['x-forwarded-proto']).toBe('http')
    expect(r.headers.forwarded).toBe('for=192.0.2.1;proto=http;host=a.example')
  })

  it('Should append to values a previous proxy set', () => {
    const r = req({ headers: { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9', 'x-forwarded-proto': 'https' } })
    addForwardingHeaders(r)
    expect(r.headers['x-forwarded-for']).toBe('203.0.113.9, 192.0.2.1')
    expect(r.headers.forwarded).toBe('for=203.0.113.9, for=192.0.2.1;proto=http;host=a.example')
    // The proto is this hop's: the upstream talks to us.
    expect(r.headers['x-forwarded-proto']).toBe('http')
  })

  it('Should join repeated x-forwarded-for lines before appending', () => {
    const r = req({ headers: { 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'] } })
    addForwardingHeaders(r)
    expect(r.headers['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2, 192.0.2.1')
  })

  it('Should quote IPv6 nodes and hosts with a port (RFC 7239)', () => {
    const r = req({ remoteAddress: '2001:db8::1', scheme: 'https', authority: 'a.example:8443' })
    addForwardingHeaders(r)
    expect(r.headers['x-forwarded-for']).toBe('2001:db8::1')
    expect(r.headers.forwarded).toBe('for="[2001:db8::1]";proto=https;host="a.example:8443"')
  })

  it('Should say unknown for a client whose address is gone and omit an empty host', () => {
    const r = req({ remoteAddress: '', authority: '', host: '' })
    addForwardingHeaders(r)
    expect(r.headers['x-forwarded-for']).toBe('unknown')
    expect(r.headers.forwarded).toBe('for=unknown;proto=http')
  })
})
