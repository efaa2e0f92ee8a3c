import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1h1m1s1ms', 3_661_001],
    ['99999ms', 99_999],
  ])('Should read %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '1', '1.5s', '-1s', '1d', '1 s', '1S', '100000s', '1h1m1s1ms1h', 's', '10us'])(
    'Should refuse %j, which the Gateway API duration format does not allow',
    (text) => {
      expect(parseDuration(text)).toBeUndefined()
    },
  )
})
