/**
 * The test network namespace `npm test` creates (scripts/test.mjs): loopback is up,
 * and the conformance manifests' own ports can be bound on several 127.0.0.x addresses
 * at once, as the conformance test does with one gateway per address.
 */
import { describe, expect, it } from 'vitest'
import { createServer, connect, type Server } from 'node:net'

const inNetns = process.env.WEFT_TEST_NETNS === '1'

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.end(`${host}:${port}`))
    s.once('error', reject)
    s.listen(port, host, () => resolve(s))
  })
}

function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const sock = connect(port, host)
    sock.setEncoding('utf8').on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject)
  })
}

describe('test network namespace', () => {
  it.runIf(inNetns)('Should bind 127.0.0.1 and 127.0.0.2 on ports 80, 443 and 8080 side by side', async () => {
    const servers: Server[] = []
    try {
      for (const host of ['127.0.0.1', '127.0.0.2']) for (const port of [80, 443, 8080]) servers.push(await listen(host, port))
      expect(await ask('127.0.0.1', 80)).toBe('127.0.0.1:80')
      expect(await ask('127.0.0.2', 80)).toBe('127.0.0.2:80')
      expect(await ask('127.0.0.2', 8080)).toBe('127.0.0.2:8080')
    } finally {
      await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))))
    }
  })

  it.runIf(inNetns)('Should be a namespace of its own: nothing else listens on port 80', async () => {
    await expect(ask('127.0.0.1', 80)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
