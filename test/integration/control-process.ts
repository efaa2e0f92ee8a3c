/**
 * @module
 * A real `weft control` process for the integration tests: started with
 * `node bin/weft.js control --data DIR --listen 127.0.0.1:0`, its URL read from its
 * first line of output, stopped by PID (SIGTERM, or SIGKILL to simulate a crash).
 *
 * @example
 * const control = await startControlProcess(dir)
 * await control.api('POST', '/v1/config', { resources })
 * await control.stop()
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WEFT_BIN } from '../support/gateway-runner.js'
import { track, untrack } from '../support/processes.js'


export interface ControlProcess {
  url: string
  dir: string
  pid: number
  adminToken: string
  output(): string
  /** A Control API call with the admin token unless `token` is given (null: none). */
  api(method: string, path: string, body?: unknown, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<Response>
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: string | null }>
}

export async function startControlProcess(dir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ControlProcess> {
  const child = spawn(process.execPath, [WEFT_BIN, 'control', '--data', dir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_ADMIN_TOKEN: '', ...env },
  })
  track(child)
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      untrack(child)
      resolve({ code, signal })
    }),
  )
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weft control did not start within 10 s:\n${out}`)), 10_000)
    const check = () => {
      // The banner's last line names the trust anchor; wait for all of it.
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m && out.includes('trust anchor')) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', check)
    void exited.then(() => reject(new Error(`weft control exited at start:\n${out}`)))
  })
  const adminToken = env.WEFT_ADMIN_TOKEN || readFileSync(join(dir, 'admin-token'), 'utf8').trim()
  return {
    url,
    dir,
    pid: child.pid!,
    adminToken,
    output: () => out,
    api(method, path, body, opts = {}) {
      const token = opts.token === undefined ? adminToken : opts.token
      return fetch(url + path, {
        method,
        headers: {
          ...(token !== null && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && typeof body !== 'string' && { 'content-type': 'application/json' }),
          ...opts.headers,
        },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal)
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5000)
      const r = await exited
      clearTimeout(timer)
      return r
    },
  }
}

/** Run the `weft` CLI to completion. */
export function weft(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WEFT_BIN, ...args], { encoding: 'utf8', env: { ...process.env, WEFT_ADMIN_TOKEN: '', WEFT_CONTROL_URL: '', ...env }, timeout: 20_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

export const service = (name: string, namespace = 'default', port = 3000) => ({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port: 80 }], endpoints: [{ address: '127.0.0.1', port }] },
})

export const gateway = (name: string, namespace = 'default') => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace },
  spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
})

export const route = (name: string, parent: string, backends: { name: string; weight?: number }[], namespace = 'default') => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace },
  spec: { parentRefs: [{ name: parent }], rules: [{ backendRefs: backends.map((b) => ({ name: b.name, port: 80, weight: b.weight ?? 1 })) }] },
})
