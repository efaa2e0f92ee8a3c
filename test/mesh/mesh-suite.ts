/**
 * @module
 * The GAMMA mesh conformance harness, shared by its two runs: every HTTPRoute case of
 * mesh-cases.json (kubernetes-sigs/gateway-api `conformance/tests/mesh` as data; see
 * ../shared/conformance/MESH-NOTES.md) sent through a caller's sidecar outbound
 * listener to echo backends. `startSidecars` decides what a sidecar is: the
 * in-process adapter (test/mesh/mesh-conformance.test.ts) or real `weft proxy`
 * processes fed by `weft control` (test/integration/sidecar-mesh-conformance.test.ts).
 *
 * Environment: one echo server per workload; each mesh Service's static endpoints
 * are its workloads' echo servers, with the environment's ports and no targetPort.
 * Per suite: the environment plus the suite's routes verbatim are applied, then one
 * `it` per case, in order. Each case is sent origin-form (`Host: echo`) AND
 * absolute-form (`GET http://echo/path`), except the cases the data marks
 * absolute-form only; both must pass. The weight case also checks the 70/30 split.
 * The GRPCRoute suites are marked skip in the data: no tests are generated for them.
 *
 * @example
 * meshConformance((clients) => InProcessSidecars.start(clients))
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { startEchoBackends, type EchoBackends, type EchoRecord } from '../fakes/echo-backend.js'
import { podIsBackend } from '../conformance/expect.js'
import {
  MESH_CASES_FILE, POD_ADDRESS, SHARED_MESH_CASES_FILE, loadMeshCases,
  type MeshCase, type MeshEnvironment, type MeshSuite, type Resource,
} from './cases.js'
import { MeshApp, type AppResponse, type RequestForm } from './client.js'
import { checkMeshResponse } from './expect.js'
import type { MeshSidecars } from './sidecar.js'

export function meshConformance(
  startSidecars: (clients: Record<string, string>) => Promise<MeshSidecars>,
  timeouts: { hook?: number; test?: number } = {},
): void {
  const data = loadMeshCases()
  const runnable = data.suites.filter((s) => !s.skip)
  const deferred = data.suites.filter((s) => s.skip)

  let echo: EchoBackends
  let sidecars: MeshSidecars
  let app: MeshApp

  /** Namespaces and one weft.dev Service per environment Service, endpoints = its workloads' echo servers. */
  function environmentDocs(env: MeshEnvironment, ports: Map<string, number>): Resource[] {
    const namespaces: Resource[] = Object.entries(env.namespaces).map(([name, ns]) => ({
      apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...ns.labels } },
    }))
    const services: Resource[] = Object.entries(env.services).map(([key, svc]) => {
      const [namespace, name] = key.split('/') as [string, string]
      return {
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: {
          ports: svc.ports.map((p) => (p.name ? { name: p.name, port: p.port } : { port: p.port })),
          endpoints: svc.endpointsFrom.map((w) => {
            const port = ports.get(`${namespace}/${w}`)
            if (port === undefined) throw new Error(`no echo server for workload ${namespace}/${w}`)
            return { address: '127.0.0.1', port }
          }),
        },
      }
    })
    return [...namespaces, ...services]
  }

  /** request.host as the app writes it: a pod address becomes that echo server's address. */
  function destination(host: string): string {
    const m = POD_ADDRESS.exec(host)
    if (!m) return host
    const port = echo.ports.get(`${m[1]}/${m[2]}`)
    if (port === undefined) throw new Error(`no echo server for pod address ${host}`)
    return `127.0.0.1:${port}`
  }

  function formsOf(c: MeshCase): RequestForm[] {
    return c.request.form === 'absolute-form' ? ['absolute-form'] : ['origin-form', 'absolute-form']
  }

  /** The seam: send one case's request through the caller's sidecar, and see what the backends got meanwhile. */
  async function sendThroughSidecar(c: MeshCase, form: RequestForm): Promise<{ res: AppResponse; forwarded: EchoRecord[] }> {
    const mark = echo.requests.mark()
    const res = await app.send(sidecars.outbound(c.client), {
      form,
      host: destination(c.request.host),
      hostHeader: c.request.hostHeader,
      method: c.request.method,
      path: c.request.path,
      headers: c.request.headers,
    })
    return { res, forwarded: echo.requests.since(mark) }
  }

  function describeCase(c: MeshCase, form: RequestForm, res: AppResponse, problems: string[]): string {
    return [
      `${form}: ${problems.length} problem(s):`,
      ...problems.map((p) => `  - ${p}`),
      `  routedBy: ${c.expect.routedBy ?? '-'}`,
      `  sent (to the ${c.client} sidecar):`,
      ...res.sent.split('\n').map((l) => `    ${l}`),
      `  received: ${res.status} ${res.headerLines.map(([k, v]) => `${k}: ${v}`).join('; ')}`,
      `  body: ${res.body.slice(0, 300)}`,
    ].join('\n')
  }

  /** 500 requests (as one batch over the app's keep-alive connections): each backend's share within tolerance. */
  async function checkDistribution(c: MeshCase): Promise<string[]> {
    const d = c.expect.distribution!
    const total = Object.values(d.weights).reduce((a, b) => a + b, 0)
    let last: string[] = []
    for (let attempt = 0; attempt < (d.maxTries ?? 1); attempt++) {
      const results = await Promise.all(Array.from({ length: d.samples }, () => sendThroughSidecar(c, 'origin-form')))
      const counts = new Map<string, number>()
      const problems: string[] = []
      for (const { res } of results) {
        const pod = res.echo?.pod
        const backend = pod === undefined ? undefined : Object.keys(d.weights).find((b) => podIsBackend(pod, b))
        if (res.status !== 200 || backend === undefined) {
          problems.push(`a request got ${res.status} from ${pod ?? 'no backend'}${res.error ? ` (${res.error})` : ''}`)
          continue
        }
        counts.set(backend, (counts.get(backend) ?? 0) + 1)
      }
      for (const [b, w] of Object.entries(d.weights)) {
        const got = (counts.get(b) ?? 0) / d.samples
        if (Math.abs(got - w / total) > d.tolerance) problems.push(`${b}: ${(got * 100).toFixed(1)}% of ${d.samples}, expected ${((w / total) * 100).toFixed(1)}% ±${d.tolerance * 100}`)
      }
      if (problems.length === 0) return []
      last = [`attempt ${attempt + 1}: ${problems.slice(0, 5).join('; ')}`]
    }
    return last
  }

  function caseTitle(c: MeshCase, i: number): string {
    const r = c.request
    const extra = [r.hostHeader ? `Host: ${r.hostHeader}` : undefined, r.form, r.headers ? `${Object.keys(r.headers).length} header(s)` : undefined].filter(Boolean)
    return `${i + 1}. [${c.client}] ${r.method ?? 'GET'} ${r.host}${r.path}${extra.length ? ` (${extra.join(', ')})` : ''} → ${c.expect.status}${c.name ? `: ${c.name}` : ''}`
  }

  beforeAll(async () => {
    const workloads = Object.entries(data.environment.workloads)
      .filter(([, w]) => w.servedBy.length > 0)
      .map(([key]) => {
        const [namespace, name] = key.split('/') as [string, string]
        return { namespace, name }
      })
    echo = await startEchoBackends(workloads)
    sidecars = await startSidecars(Object.fromEntries(Object.entries(data.environment.clients).map(([k, v]) => [k, v.namespace])))
    app = new MeshApp()
  }, timeouts.hook)

  afterAll(async () => {
    app?.close()
    await sidecars?.close()
    await echo?.close()
  })

  describe('mesh conformance data', () => {
    it('is the shared mesh-cases.json, with 80 HTTPRoute cases and only the GRPCRoute suites skipped', () => {
      if (existsSync(SHARED_MESH_CASES_FILE)) expect(readFileSync(MESH_CASES_FILE, 'utf8')).toBe(readFileSync(SHARED_MESH_CASES_FILE, 'utf8'))
      expect(runnable.reduce((n, s) => n + s.cases.length, 0)).toBe(80)
      expect(deferred.map((s) => s.name).sort()).toEqual(['mesh-grpcroute-request-header-modifier', 'mesh-grpcroute-weight'])
    })
  })

  function suiteTests(s: MeshSuite) {
    describe(s.name, () => {
      beforeAll(async () => {
        await sidecars.apply([...environmentDocs(data.environment, echo.ports), ...s.routes])
      })
      s.cases.forEach((c, i) => {
        it(caseTitle(c, i), async () => {
          const failures: string[] = []
          for (const form of formsOf(c)) {
            const { res, forwarded } = await sendThroughSidecar(c, form)
            const problems = checkMeshResponse(c, res, forwarded)
            if (problems.length) failures.push(describeCase(c, form, res, problems))
          }
          if (failures.length === 0 && c.expect.distribution) failures.push(...(await checkDistribution(c)))
          expect(failures, failures.join('\n')).toEqual([])
        }, timeouts.test)
      })
    })
  }

  for (const s of runnable) suiteTests(s)
}
