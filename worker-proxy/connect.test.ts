/**
 * The CONNECT tunnel on a plain node:http server: bytes flow both ways after
 * `200 Connection Established` (including bytes sent with the request head), a
 * target that is not HOST:PORT is 400, an unreachable one 502.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { connect, createServer, type AddressInfo, type Server as NetServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectTarget, connectTunnel } from './connect.js'

let target: NetServer
let proxy: Server
let targetPort: number
let proxyPort: number

beforeAll(async () => {
  target = createServer((s) => s.pipe(s))
  await new Promise<void>((ok) => target.listen(0, '127.0.0.1', ok))
  targetPort = (target.address() as AddressInfo).port
  proxy = createHttpServer((_req, res) => res.end('not a tunnel'))
  proxy.on('connect', (req, socket, head) => connectTunnel(req, socket, head))
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok))
  proxyPort = (proxy.address() as AddressInfo).port
})
afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise((ok) => proxy.close(ok))
  await new Promise((ok) => target.close(ok))
})

/** Send `text` on a fresh connection to the proxy; collect what comes back until `until` matches or the socket closes. */
function exchange(text: string, until: RegExp, then?: { send: string; until: RegExp }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(proxyPort, '127.0.0.1', () => s.write(text))
    let got = ''
    let stage = 0
    s.setEncoding('utf8')
    s.on('data', (c: string) => {
      got += c
      if (stage === 0 && until.test(got)) {
        if (!then) return (s.destroy(), resolve(got))
        stage = 1
        s.write(then.send)
      } else if (stage === 1 && then!.until.test(got)) {
        s.destroy()
        resolve(got)
      }
    })
    s.on('end', () => resolve(got))
    s.on('error', reject)
  })
}

describe('CONNECT tunnel', () => {
  it('Should parse authority-form targets only', () => {
    expect(connectTarget('example.com:443')).toEqual({ host: 'example.com', port: 443 })
    expect(connectTarget('[::1]:8443')).toEqual({ host: '::1', port: 8443 })
    expect(connectTarget('example.com')).toBeUndefined()
    expect(connectTarget('/path')).toBeUndefined()
    expect(connectTarget('h:0')).toBeUndefined()
    expect(connectTarget('h:70000')).toBeUndefined()
  })

  it('Should answer 200 and pipe bytes both ways, including bytes sent with the head', async () => {
    const got = await exchange(`CONNECT 127.0.0.1:${targetPort} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\nearly`, /early/, { send: 'ping', until: /earlyping/ })
    expect(got).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\n/)
    expect(got).toMatch(/earlyping$/)
  })

  it('Should answer 400 for a target that is not HOST:PORT', async () => {
    const got = await exchange('CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n', /\r\n\r\n[\s\S]*\n$/)
    expect(got).toMatch(/^HTTP\/1\.1 400 /)
  })

  it('Should answer 502 for a target that cannot be reached', async () => {
    const free = createServer()
    await new Promise<void>((ok) => free.listen(0, '127.0.0.1', ok))
    const port = (free.address() as AddressInfo).port
    await new Promise((ok) => free.close(ok))
    const got = await exchange(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, /\r\n\r\n[\s\S]*\n$/)
    expect(got).toMatch(/^HTTP\/1\.1 502 /)
    expect(got).toMatch(/cannot reach/)
  })
})
