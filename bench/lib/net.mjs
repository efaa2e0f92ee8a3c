// Network helpers: free ports on 127.0.0.1, a tiny GET, bounded readiness waits.
import http from 'node:http'
import net from 'node:net'
import { alive } from './procs.mjs'

export const BODY = 'hello from upstream\n'
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function freePort() {
  const s = net.createServer()
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok))
  const { port } = s.address()
  await new Promise((ok) => s.close(ok))
  return port
}

/** GET http://127.0.0.1:port/path; never rejects (status 0 on a network error). */
export function get(port, path = '/', headers = {}) {
  return new Promise((ok) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body }))
      res.on('error', () => ok({ status: 0, body: '' }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (e) => ok({ status: 0, body: String(e.message) }))
  })
}

/** Wait until `check()` is true; fail early if one of `procs` exits. */
export async function waitFor(what, procs, check, ms = 20_000) {
  const list = [procs].flat().filter(Boolean)
  const deadline = Date.now() + ms
  for (;;) {
    for (const p of list) {
      if (!alive(p)) throw new Error(`${what}: ${p.label} exited (${p.exitCode ?? p.signalCode}):\n${p.output().slice(-1500)}`)
    }
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${ms / 1000}s:\n${list.map((p) => p.output().slice(-1500)).join('\n')}`)
    await sleep(100)
  }
}

/** The candidate forwards to the upstream: GET answers 200 with the upstream's body. */
export async function probe(what, procs, port, headers = {}, path = '/') {
  let last
  await waitFor(`${what} probe`, procs, async () => {
    last = await get(port, path, headers)
    return last.status === 200 && last.body === BODY
  }, 20_000).catch((err) => {
    throw new Error(`${err.message}\nlast answer: ${last?.status} ${JSON.stringify(last?.body?.slice(0, 200))}`)
  })
}
