/**
 * @module
 * Shared pieces of the Workers tests: a real `weft control` process with a proxy token
 * and its JWKS text, HTTP/1.1 requests with a chosen Host (fetch cannot set Host), a
 * bounded `eventually`, and the resident memory of a process.
 *
 * @example
 * const cp = await controlWithToken(dir, { gateway: 'default/edge' })
 * const r = await send(t.url, '/x', { host: 'api' })
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import { startControlProcess, type ControlProcess } from '../integration/control-process.js'

export interface ControlWithToken {
  control: ControlProcess
  token: string
  jwks: string
  apply(resources: unknown[]): Promise<number>
  remove(resources: { kind: string; namespace: string; name: string }[]): Promise<number>
}

export async function controlWithToken(dir: string, scope: { gateway: string } | { service: string; namespace?: string }): Promise<ControlWithToken> {
  const control = await startControlProcess(dir)
  const r = await control.api('POST', '/v1/tokens', scope)
  if (r.status !== 200) throw new Error(`POST /v1/tokens: ${r.status} ${await r.text()}`)
  const { token } = (await r.json()) as { token: string }
  return {
    control,
    token,
    jwks: readFileSync(join(dir, 'jwks.json'), 'utf8'),
    async apply(resources) {
      const res = await control.api('POST', '/v1/config', { resources })
      const body = (await res.json()) as { version?: number }
      if (res.status !== 200) throw new Error(`apply: ${res.status} ${JSON.stringify(body)}`)
      return body.version!
    },
    async remove(resources) {
      const res = await control.api('POST', '/v1/config/delete', { resources })
      const body = (await res.json()) as { version?: number }
      if (res.status !== 200) throw new Error(`delete: ${res.status} ${JSON.stringify(body)}`)
      return body.version!
    },
  }
}

export interface Sent {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP/1.1 request to `base` + `path` with the given headers (Host included). */
export function send(base: string, path: string, headers: Record<string, string> = {}, opts: { method?: string; body?: string } = {}): Promise<Sent> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers, setHost: !('host' in headers), timeout: 15_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** The echo backend's pod name in a response body (test/fakes/echo-backend.ts), or the body. */
export const podOf = (r: Sent): string => {
  try {
    return (JSON.parse(r.body) as { pod: string }).pod
  } catch {
    return r.body
  }
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  let last: T | undefined
  let err: unknown
  while (Date.now() < end) {
    try {
      last = await fn()
      if (ok(last)) return last
    } catch (e) {
      err = e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last) ?? String(err)})`)
}

/** Resident memory of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export const svc = (name: string, port: number, namespace = 'default') => ({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port: 80 }], endpoints: [{ address: '127.0.0.1', port }] },
})
