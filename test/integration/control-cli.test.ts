/**
 * `weft apply`, `weft delete`, `weft token create` and `weft status` against a real
 * control process: output and exit status (0 ok, 1 rejected, 2 usage or connection).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlProcess, weft, type ControlProcess } from './control-process.js'

let control: ControlProcess
let dir: string
let data: string

const MESH = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: 8080, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: web-v1, port: 80, weight: 90 }, { name: web-v2, port: 80, weight: 10 }] }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: web-v1 }
spec: { ports: [{ port: 80 }], endpoints: [{ address: 127.0.0.1, port: 3001 }] }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: web-v2 }
spec: { ports: [{ port: 80 }], endpoints: [{ address: 127.0.0.1, port: 3002 }] }
`

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-control-cli-'))
  data = join(dir, 'data')
  control = await startControlProcess(data)
})
afterAll(async () => {
  await control?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('weft apply / delete / token / status', () => {
  it('Should apply files and print the new version (exit 0), and say unchanged the second time', () => {
    const f = file('mesh.yaml', MESH)
    const r = weft(['apply', '-f', f, '--control', control.url, '--data', data])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\+ HTTPRoute default\/web/)
    expect(r.stdout).toMatch(/applied: version 2/)
    const again = weft(['apply', '-f', f], { WEFT_CONTROL_URL: control.url, WEFT_ADMIN_TOKEN: control.adminToken })
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/unchanged: version 2/)
  })

  it('Should print every error with file, line and path and exit 1 on a rejected apply', () => {
    const f = file('bad.yaml', MESH.replace('weight: 90', 'weight: -1').replace('port: 3002', 'port: lots'))
    const r = weft(['apply', '-f', f, '--control', control.url, '--data', data])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${f}:13: document 2 (HTTPRoute default/web): spec.rules[0].backendRefs[0].weight`)
    expect(r.stderr).toMatch(/document 4 \(Service default\/web-v2\): spec\.endpoints\[0\]\.port/)
  })

  it('Should print the diff of a dry run and apply nothing', async () => {
    const f = file('split.yaml', MESH.replace('weight: 90', 'weight: 50').replace('weight: 10', 'weight: 50'))
    const r = weft(['apply', '-f', f, '--dry-run', '--control', control.url, '--data', data])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/~ HTTPRoute default\/web/)
    expect(r.stdout).toMatch(/dry run: valid; would become version 3/)
    expect((await (await control.api('GET', '/v1/config')).json()).version).toBe(2)
  })

  it('Should delete KIND NS/NAME (exit 0) and exit 1 when it does not exist', () => {
    const r = weft(['delete', 'Service', 'default/web-v2', '--control', control.url, '--data', data])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/- Service default\/web-v2[\s\S]*deleted: version 3/)
    const again = weft(['delete', 'Service', 'default/web-v2', '--control', control.url, '--data', data])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/Service default\/web-v2 does not exist/)
  })

  it('Should delete the resources a file names', () => {
    const f = file('v1.yaml', MESH.split('---\n')[2]!)
    const r = weft(['delete', '-f', f, '--control', control.url, '--data', data])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/- Service default\/web-v1/)
  })

  it('Should print a proxy token, and list reporting proxies in weft status', async () => {
    const t = weft(['token', 'create', '--service', 'web', '--control', control.url, '--data', data])
    expect(t.code).toBe(0)
    const token = t.stdout.trim()
    expect(token.split('.')).toHaveLength(3)
    await control.api('POST', '/v1/proxies/sidecar.default.web/status', { instance: 'web-1', version: 1, lastError: 'bad signature', lastErrorCode: 'ERR_BUNDLE_SIGNATURE' }, { token })
    const s = weft(['status', '--control', control.url, '--data', data])
    expect(s.code).toBe(0)
    expect(s.stdout).toMatch(/PROXY\s+INSTANCE\s+VERSION\s+IN SYNC\s+LAST SEEN\s+LAST ERROR/)
    expect(s.stdout).toMatch(/sidecar\.default\.web\s+web-1\s+1\s+no\s+\d+s ago\s+ERR_BUNDLE_SIGNATURE: bad signature/)
  })

  it('Should exit 2 on usage and connection errors', () => {
    expect(weft(['apply', '--control', control.url, '--data', data]).code).toBe(2)
    expect(weft(['apply', '-f', join(dir, 'missing.yaml'), '--control', control.url, '--data', data]).code).toBe(2)
    const down = weft(['status', '--control', 'http://127.0.0.1:1', '--token', 'x'])
    expect(down.code).toBe(2)
    expect(down.stderr).toMatch(/cannot reach the control plane at http:\/\/127\.0\.0\.1:1/)
    const badToken = weft(['status', '--control', control.url, '--token', 'wrong'])
    expect(badToken.code).toBe(2)
    expect(badToken.stderr).toMatch(/401 token invalid/)
    expect(weft(['status', '--control', control.url]).code).toBe(2)
    expect(weft(['token', 'create', '--control', control.url, '--data', data]).code).toBe(2)
  })

  it('Should document every flag in --help', () => {
    for (const cmd of [['control'], ['apply'], ['delete'], ['token', 'create'], ['status']]) {
      const r = weft([...cmd, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/Usage: weft/)
    }
    expect(weft(['apply', '--help']).stdout).toMatch(/--dry-run[\s\S]*--control[\s\S]*--token[\s\S]*--data/)
  })
})
