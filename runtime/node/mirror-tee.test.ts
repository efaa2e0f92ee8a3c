import { describe, expect, it } from 'vitest'
import { Readable } from 'node:stream'
import { teeForMirror } from './mirror-tee.js'

async function collect(r: Readable): Promise<string> {
  let s = ''
  for await (const chunk of r) s += chunk
  return s
}

describe('teeForMirror', () => {
  it('Should give the mirror the whole body even when it starts reading after the primary finished', async () => {
    const { primary, copy } = teeForMirror(Readable.from(['a', 'b', 'c']), 1024)
    expect(await collect(primary)).toBe('abc')
    await new Promise((ok) => setTimeout(ok, 10)) // the tee has ended and destroyed itself by now
    expect(await collect(copy)).toBe('abc')
  })

  it('Should drop the copy once it is more than the limit behind, and keep the primary whole', async () => {
    const chunk = Buffer.alloc(1000, 'x')
    const { primary, copy } = teeForMirror(Readable.from(Array.from({ length: 10 }, () => chunk)), 2500)
    expect((await collect(primary)).length).toBe(10_000)
    await expect(collect(copy)).rejects.toThrow(/fell more than 2500 bytes behind/)
  })

  it('Should fail the copy when the source aborts', async () => {
    const source = new Readable({ read() {} })
    const { primary, copy } = teeForMirror(source, 1024)
    primary.resume()
    source.push('partial')
    source.destroy(new Error('client went away'))
    await expect(collect(copy)).rejects.toThrow()
  })
})
