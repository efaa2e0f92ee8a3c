/**
 * @module
 * The GAMMA mesh conformance cases (mesh-cases.json, a copy of
 * ../shared/conformance/mesh-cases.json; MESH-NOTES.md explains them) as types.
 *
 * @example
 * const data = loadMeshCases()
 * data.suites.filter((s) => !s.skip)
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const MESH_CASES_FILE = fileURLToPath(new URL('./mesh-cases.json', import.meta.url))
/** The shared original, when this checkout sits next to it (DESIGN.md: `../shared/conformance/`). */
export const SHARED_MESH_CASES_FILE = fileURLToPath(new URL('../../../shared/conformance/mesh-cases.json', import.meta.url))

export type Resource = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  spec?: unknown
  [k: string]: unknown
}

export interface MeshRequest {
  host: string
  method?: string
  path: string
  hostHeader?: string
  form?: 'absolute-form'
  followRedirects?: boolean
  headers?: Record<string, string>
  protocol?: 'grpc'
}

export interface MeshDistribution {
  weights: Record<string, number>
  expectedFractions: Record<string, number>
  samples: number
  tolerance: number
  onlyWeightedBackendsAnswer?: boolean
  maxTries?: number
}

export interface MeshExpect {
  status: number
  backend?: string | null
  backendOneOf?: string[]
  backendNamespace?: string
  statusOrigin?: 'sidecar'
  path?: string | null
  headers?: Record<string, string>
  absentHeaders?: string[]
  responseHeaders?: Record<string, string>
  absentResponseHeaders?: string[]
  redirect?: { scheme: string; host: string; port: number | null; path: string }
  redirectLocation?: string
  distribution?: MeshDistribution
  routedBy?: string
}

export interface MeshCase {
  name?: string
  client: string
  request: MeshRequest
  expect: MeshExpect
  upstreamChecks?: string[]
}

export interface MeshSuite {
  name: string
  upstreamTest?: string
  features?: string[]
  clients?: string[]
  routes: Resource[]
  backends: string[]
  notes?: string
  skip?: { reason: string }
  cases: MeshCase[]
}

export interface MeshEnvironment {
  namespaces: Record<string, { labels?: Record<string, string> }>
  workloads: Record<string, { servedBy: string[]; containerPorts: Record<string, number> }>
  services: Record<string, { endpointsFrom: string[]; ports: { name?: string; port: number; targetPort?: number; appProtocol?: string }[] }>
  clients: Record<string, { namespace: string; workload: string }>
}

export interface MeshCasesFile {
  environment: MeshEnvironment
  suites: MeshSuite[]
  counts: { cases: number; casesTestable: number }
}

export function loadMeshCases(file = MESH_CASES_FILE): MeshCasesFile {
  return JSON.parse(readFileSync(file, 'utf8')) as MeshCasesFile
}

export const MESH_NAMESPACE = 'gateway-conformance-mesh'

/** `{pod-address:NS/WORKLOAD}` in request.host: the address of one pod of that workload. */
export const POD_ADDRESS = /^\{pod-address:([^/}]+)\/([^}]+)\}$/
