import { describe, expect, it } from 'vitest'
import { PathIndex, type IndexEntry } from './path-index.js'
import type { Conditions } from './conditions.js'
import { fullMatch, parseQuery } from './conditions.js'

const none: Conditions = { headers: [], query: [] }
let n = 0
function entry(kind: IndexEntry<string>['kind'], value: string, target: string, conditions: Conditions = none): IndexEntry<string> {
  return { kind, value, regex: kind === 'regex' ? fullMatch(value) : undefined, conditions, order: [0, 'ns/r', n++, 0], target }
}
function lookup(idx: PathIndex<string>, path: string, method = 'GET', headers: Record<string, string> = {}, query = '') {
  return idx.lookup(method, path, headers, () => parseQuery(query))?.target
}

describe('PathIndex', () => {
  it('Should match prefixes segment-wise and prefer the longest', () => {
    const idx = new PathIndex<string>()
    idx.add(entry('prefix', '', 'root'))
    idx.add(entry('prefix', '/match', 'match'))
    idx.add(entry('prefix', '/match/prefix', 'match-prefix'))
    idx.add(entry('prefix', '/match/prefix/one', 'one'))
    idx.finish()
    expect(lookup(idx, '/match/prefix/one')).toBe('one')
    expect(lookup(idx, '/match/prefix/any')).toBe('match-prefix')
    expect(lookup(idx, '/match/any')).toBe('match')
    expect(lookup(idx, '/matchany')).toBe('root')
    expect(lookup(idx, '/match/')).toBe('match')
    expect(lookup(idx, '/')).toBe('root')
  })

  it('Should let Exact beat any prefix, and be case-sensitive', () => {
    const idx = new PathIndex<string>()
    idx.add(entry('prefix', '/one', 'prefix'))
    idx.add(entry('exact', '/one', 'exact'))
    idx.finish()
    expect(lookup(idx, '/one')).toBe('exact')
    expect(lookup(idx, '/one/')).toBe('prefix')
    expect(lookup(idx, '/One')).toBeUndefined()
  })

  it('Should rank method over headers over query, then rule order', () => {
    const idx = new PathIndex<string>()
    idx.add(entry('prefix', '', 'query', { headers: [], query: [{ name: 'a', exact: '1' }] }))
    idx.add(entry('prefix', '', 'header', { headers: [{ name: 'x', exact: '1' }], query: [] }))
    idx.add(entry('prefix', '', 'method', { method: 'POST', headers: [], query: [] }))
    idx.add(entry('prefix', '', 'first-two', { headers: [{ name: 'y', exact: '2' }], query: [] }))
    idx.finish()
    expect(lookup(idx, '/', 'POST', { x: '1' }, 'a=1')).toBe('method')
    expect(lookup(idx, '/', 'GET', { x: '1' }, 'a=1')).toBe('header')
    expect(lookup(idx, '/', 'GET', { x: '1', y: '2' })).toBe('header')
    expect(lookup(idx, '/', 'GET', {}, 'a=1')).toBe('query')
    expect(lookup(idx, '/', 'HEAD')).toBeUndefined()
  })

  it('Should fall back to a shorter prefix when the longer one has unmet conditions', () => {
    const idx = new PathIndex<string>()
    idx.add(entry('prefix', '/v2', 'v2-with-header', { headers: [{ name: 'version', exact: 'two' }], query: [] }))
    idx.add(entry('prefix', '', 'root'))
    idx.finish()
    expect(lookup(idx, '/v2/x', 'GET', { version: 'two' })).toBe('v2-with-header')
    expect(lookup(idx, '/v2/x')).toBe('root')
  })

  it('Should match regular expressions against the whole path', () => {
    const idx = new PathIndex<string>()
    idx.add(entry('regex', '/api/v[0-9]+', 'api'))
    idx.add(entry('prefix', '', 'root'))
    idx.finish()
    expect(lookup(idx, '/api/v12')).toBe('api')
    expect(lookup(idx, '/api/v12/x')).toBe('root')
  })

  it('Should not grow lookup work with unrelated routes', () => {
    const idx = new PathIndex<string>()
    for (let i = 0; i < 10_000; i++) idx.add(entry('prefix', `/svc-${i}`, `svc-${i}`))
    idx.finish()
    expect(lookup(idx, '/svc-9999/items')).toBe('svc-9999')
    expect(lookup(idx, '/svc-10000')).toBeUndefined()
  })
})

describe('parseQuery', () => {
  it('Should keep names case-sensitive, decode values and take the first of repeats', () => {
    const q = parseQuery('animal=whale&ANIMAL=Whale&animal=dolphin&x=a%20b&flag')
    expect(q.get('animal')).toBe('whale')
    expect(q.get('ANIMAL')).toBe('Whale')
    expect(q.get('x')).toBe('a b')
    expect(q.get('flag')).toBe('')
  })
})
