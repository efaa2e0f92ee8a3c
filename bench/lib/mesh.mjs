// The mesh pieces the sidecar candidates need: one `weft control` for the whole run
// (pinned to the load core: it is idle while the data path is measured), the bench
// Services applied to it, and `weft proxy` processes under a given runtime.
import { join } from 'node:path'
import { LOAD_CORE, PROXY_CORE } from './load.mjs'
import { ROOT, profileFlags, start, tmpDir } from './procs.mjs'
import { freePort, get, waitFor } from './net.mjs'

const TOKEN = 'weft-bench-admin-token'
const WEFT = join(ROOT, 'bin', 'weft.js')

/**
 * The command that runs `weft ARGS` under `runtime`, without the node parent that
 * `--runtime` re-executes from, so /proc readings are the runtime's own process.
 * The runtime's arguments come from the CLI's own table (dist/cli/runtime-exec.js).
 */
export async function weftCommand(runtime, args) {
  if (runtime === 'node') return { file: process.execPath, args: [...profileFlags(), WEFT, ...args] }
  const { runtimeCommand } = await import(join(ROOT, 'dist', 'cli', 'runtime-exec.js'))
  const cmd = runtimeCommand(runtime, [...args, '--runtime', runtime])
  return runtime === 'bun' ? { ...cmd, args: [...profileFlags(), ...cmd.args] } : cmd
}

/** Start `weft ...` pinned to `core` under `runtime`. */
export async function startWeft(name, runtime, args, core = PROXY_CORE, env = {}) {
  const cmd = await weftCommand(runtime, args)
  return start(name, 'taskset', ['-c', core, cmd.file, ...cmd.args], { env: { ...process.env, ...env } })
}

const meta = (name) => ({ name, namespace: 'default' })
export const service = (name, endpoints = []) => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: meta(name), spec: { ports: [{ port: 80 }], endpoints } })

export async function startControl() {
  const dir = tmpDir('weft-bench-control-')
  const port = await freePort()
  const proc = await startWeft('weft control', 'node', ['control', '--data', dir, '--listen', `127.0.0.1:${port}`], LOAD_CORE, { WEFT_ADMIN_TOKEN: TOKEN })
  await waitFor('weft control', proc, async () => (await get(port, '/healthz')).status === 200)
  const url = `http://127.0.0.1:${port}`
  const apply = async (resources, path = '/v1/config') => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ resources }) })
    const text = await r.text()
    if (!r.ok) throw new Error(`${path}: ${r.status} ${text.slice(0, 500)}`)
    return text
  }
  const remove = (refs) => apply(refs, '/v1/config/delete')
  return { proc, url, token: TOKEN, trust: join(dir, 'jwks.json'), apply, remove }
}

/**
 * A sidecar for `svc` under `runtime`, its app at `appPort`. Returns the proc and its
 * inbound/outbound/admin ports once /ready answers 200 (a verified bundle is active).
 */
export async function startSidecar(mesh, runtime, svc, appPort, name = `weft proxy ${svc} (${runtime})`) {
  const [inbound, outbound, admin] = [await freePort(), await freePort(), await freePort()]
  const data = tmpDir('weft-bench-sidecar-')
  const proc = await startWeft(name, runtime, ['proxy', '--service', svc, '--app', `http://127.0.0.1:${appPort}`,
    '--control', mesh.url, '--trust', mesh.trust, '--token', mesh.token, '--data', data,
    '--inbound', `127.0.0.1:${inbound}`, '--outbound', `127.0.0.1:${outbound}`, '--admin', `127.0.0.1:${admin}`,
    '--drain-grace', '0'])
  await waitFor(`${name} /ready`, proc, async () => (await get(admin, '/ready')).status === 200)
  return { proc, inbound, outbound, admin }
}
