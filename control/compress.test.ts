import { describe, expect, it } from 'vitest'
import { acceptsGzip } from './compress.js'

describe('acceptsGzip', () => {
  it('Should accept gzip listed, with a q above 0, or through *', () => {
    expect(acceptsGzip('gzip, deflate')).toBe(true)
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true)
    expect(acceptsGzip('*')).toBe(true)
  })
  it('Should refuse none, another coding, and q=0', () => {
    expect(acceptsGzip(undefined)).toBe(false)
    expect(acceptsGzip('identity')).toBe(false)
    expect(acceptsGzip('deflate, br')).toBe(false)
    expect(acceptsGzip('gzip;q=0')).toBe(false)
  })
})
