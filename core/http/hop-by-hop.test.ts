import { describe, expect, it } from 'vitest'
import { stripHopByHop } from './hop-by-hop.js'
import type { HeaderMap } from './view.js'

describe('stripHopByHop', () => {
  it('Should remove the fixed hop-by-hop fields and keep end-to-end ones', () => {
    const h: HeaderMap = {
      host: 'a.example', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive',
      te: 'trailers', 'transfer-encoding': 'chunked', upgrade: 'websocket', trailer: 'x-sum',
      'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'],
    }
    stripHopByHop(h)
    expect(h).toEqual({ host: 'a.example', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })
  })

  it('Should remove every field the Connection header names, case-insensitively', () => {
    const h: HeaderMap = { connection: 'close, X-Trace ,x-other', 'x-trace': '1', 'x-other': '2', 'x-keep': '3' }
    stripHopByHop(h)
    expect(h).toEqual({ 'x-keep': '3' })
  })

  it('Should read a Connection header given as several lines', () => {
    const h: HeaderMap = { connection: ['x-a', 'x-b'], 'x-a': '1', 'x-b': '2', accept: '*/*' }
    stripHopByHop(h)
    expect(h).toEqual({ accept: '*/*' })
  })

  it('Should never remove Host, even when Connection names it', () => {
    const h: HeaderMap = { connection: 'host', host: 'a.example:8080' }
    stripHopByHop(h)
    expect(h).toEqual({ host: 'a.example:8080' })
  })

  it('Should remove HTTP/2 pseudo-headers', () => {
    const h: HeaderMap = { ':status': '200', ':path': '/', 'x-kept': 'v' }
    stripHopByHop(h)
    expect(h).toEqual({ 'x-kept': 'v' })
  })

  it('Should remove by setting undefined (absent), never adding names that were not there', () => {
    const h: HeaderMap = { connection: 'x-a', 'x-a': '1', b: '2' }
    stripHopByHop(h)
    expect(Object.entries(h).filter(([, v]) => v !== undefined)).toEqual([['b', '2']])
    expect(Object.keys(h).sort()).toEqual(['b', 'connection', 'x-a'])
  })

  it('Should leave a map without hop-by-hop fields untouched', () => {
    const h: HeaderMap = { a: '1', b: ['2', '3'] }
    stripHopByHop(h)
    expect(h).toEqual({ a: '1', b: ['2', '3'] })
  })
})
