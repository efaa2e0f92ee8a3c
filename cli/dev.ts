/**
 * @module
 * `weft dev`: a gateway with two demo app versions behind a 90/10 canary split, all on
 * this machine. The config is written to `.weft/dev/mesh.yaml`; edit it and the
 * gateway swaps it in live. (The control plane and sidecars join this demo with the
 * control-plane work.)
 *
 * @example
 * weft dev --port 8080
 */
import type { Command } from 'commander'
import { createServer, type Server } from 'node:http'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { waitForSignal } from './gateway.js'

function demoApp(version: string): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const body = JSON.stringify({ app: 'hello', version, path: req.url, host: req.headers.host, headers: req.headers }, null, 2)
    res.writeHead(200, { 'content-type': 'application/json', 'x-app-version': version })
    res.end(body + '\n')
  })
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(Object.assign(server, { port: (server.address() as { port: number }).port }))))
}

export function devConfig(port: number, v1: number, v2: number): string {
  return `# Written by \`weft dev\`. Edit me: the gateway reloads this file when it changes.
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: weft
  listeners:
    - { name: http, port: ${port}, protocol: HTTP }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: hello, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    # Canary testers opt in with a header.
    - matches: [{ path: { type: PathPrefix, value: / }, headers: [{ name: x-canary, value: "true" }] }]
      backendRefs: [{ name: hello-v2, port: 80 }]
    # Everyone else: 90/10 split between the two versions.
    - matches: [{ path: { type: PathPrefix, value: / } }]
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { add: [{ name: x-served-by, value: weft }] }
      backendRefs:
        - { name: hello-v1, port: 80, weight: 90 }
        - { name: hello-v2, port: 80, weight: 10 }
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: hello-v1, namespace: default }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 127.0.0.1, port: ${v1} }]
---
apiVersion: weft.dev/v1alpha1
kind: Service
metadata: { name: hello-v2, namespace: default }
spec:
  ports: [{ port: 80 }]
  endpoints: [{ address: 127.0.0.1, port: ${v2} }]
`
}

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('run a local demo: a gateway in front of two versions of an app, split 90/10')
    .option('--port <port>', 'gateway listener port', '8080')
    .option('--admin <host:port>', 'admin server', '127.0.0.1:15000')
    .option('--dir <dir>', 'where the demo config is written', '.weft/dev')
    .action(async (o: { port: string; admin: string; dir: string }) => {
      const { runGateway } = await import('../gateway/run.js')
      const [v1, v2] = await Promise.all([demoApp('v1'), demoApp('v2')])
      const dir = resolve(o.dir)
      await mkdir(dir, { recursive: true })
      const file = join(dir, 'mesh.yaml')
      await writeFile(file, devConfig(Number(o.port), v1.port, v2.port))
      const gw = await runGateway({ configFiles: [file], gatewayRef: 'default/edge', address: '127.0.0.1', admin: o.admin, log: (m) => console.log(`  ${m}`) })
      const url = `http://127.0.0.1:${o.port}`
      console.log(`
Weft dev is running.
  gateway   ${url}
  admin     http://${o.admin}/config  /metrics  /stats  /ready
  config    ${file}  (edit it: the gateway swaps the new config in live)

Try:
  curl -s ${url}/                         # v1 nine times in ten, v2 once
  curl -s -H 'x-canary: true' ${url}/     # always v2
  for i in $(seq 20); do curl -s ${url}/ | grep version; done | sort | uniq -c
  curl -s http://${o.admin}/metrics | grep weft_requests_total

Ctrl-C stops everything.`)
      await waitForSignal()
      await gw.close()
      v1.close()
      v2.close()
    })
}
