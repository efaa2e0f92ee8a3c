/**
 * The shared Web conversions (Bun, Deno, Workers) on the request shapes those servers
 * hand over; the real servers are exercised in runtime/bun and runtime/deno tests.
 * A bare target as `url` is what Bun.serve gives an HTTP/1.0 request without Host
 * (runtime/bun/serve.test.ts shows it), which a Request built here cannot have.
 */
import { describe, expect, it } from 'vitest'
import { BadRequest } from '../../core/errors.js'
import { fromWebRequest } from './inbound.js'
import { toWebHeaders } from './outbound.js'

const info = { scheme: 'http' as const, port: 8080, remoteAddress: '127.0.0.1' }
const req = (url: string, headers: Record<string, string> = {}, method = 'GET') => new Request(url, { method, headers })

describe('fromWebRequest', () => {
  it('reads an origin-form request: Host as authority, path and query from the URL', () => {
    const pr = fromWebRequest(req('http://shop.example:8080/a/b?x=1', { host: 'Shop.Example:8080' }), info)
    expect(pr).toMatchObject({ authority: 'Shop.Example:8080', host: 'shop.example', path: '/a/b', query: 'x=1' })
  })

  it('takes an absolute-form target (URL authority unlike a valid Host) as the authority, forwarded as Host', () => {
    const pr = fromWebRequest(req('http://api.mesh:81/x', { host: 'web.mesh' }), info)
    expect(pr).toMatchObject({ authority: 'api.mesh:81', host: 'api.mesh', path: '/x' })
    expect(pr.headers.host).toBe('api.mesh:81')
  })

  it('refuses an invalid Host even when the URL the server built from it parses', () => {
    expect(() => fromWebRequest(req('http://x/', { host: 'a b' }), info)).toThrow(BadRequest)
  })

  it('refuses CONNECT with 400: no socket to tunnel on a Web server', () => {
    const connect = { method: 'CONNECT', url: 'a.example:443', headers: new Headers({ host: 'a.example:443' }), body: null } as unknown as Request
    expect(() => fromWebRequest(connect, info)).toThrow('CONNECT is not supported on this listener')
  })

  it('reads a bare target without Host (HTTP/1.0 on Bun.serve) as the whole path, host ""', () => {
    const bare = { method: 'GET', url: '/Secret.Example/x?q=1', headers: new Headers(), body: null } as unknown as Request
    const pr = fromWebRequest(bare, info)
    expect(pr).toMatchObject({ authority: '', host: '', path: '/Secret.Example/x', query: 'q=1' })
    expect(pr.headers.host).toBeUndefined()
  })
})

describe('toWebHeaders', () => {
  it("joins repeated values with ',' as one field, keeps set-cookie one line per value", () => {
    const h = toWebHeaders({ 'x-a': ['1', '2'], 'set-cookie': ['a=1', 'b=2'], 'x-b': 'v' })
    expect(h.get('x-a')).toBe('1,2')
    expect(h.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(h.get('x-b')).toBe('v')
  })
})
