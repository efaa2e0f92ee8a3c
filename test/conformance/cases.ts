/**
 * @module
 * The Gateway API HTTPRoute conformance cases as data: `httproute-cases.json` (a copy of
 * `../shared/conformance/httproute-cases.json`; the conformance test fails when the two
 * differ) with its types, and the suites this harness defers.
 *
 * @example
 * const { suites, environment } = loadCases()
 * for (const s of suites) if (!DEFERRED_SUITES.has(s.name)) ...
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const CASES_FILE = fileURLToPath(new URL('./httproute-cases.json', import.meta.url))
/** The shared original, when this checkout sits next to it (DESIGN.md: `../shared/conformance/`). */
export const SHARED_CASES_FILE = fileURLToPath(new URL('../../../shared/conformance/httproute-cases.json', import.meta.url))

/**
 * Suites the issue defers to later work: no tests are generated for them (nothing is
 * faked or expected to fail). Remove a suite from here when its feature lands.
 */
export const DEFERRED_SUITES = new Map<string, string>([
  ['httproute-cors', 'CORS filter (HTTPRoute filter type CORS, preflight answered by the gateway) is deferred to a later issue'],
  ['httproute-retry', 'retries (HTTPRouteRule.retry: attempts, codes) are deferred to a later issue'],
  ['httproute-retry-with-timeouts', 'retries combined with per-try/request timeouts are deferred with the retry work'],
  ['httproute-retry-connection-error', 'retrying connection resets is deferred with the retry work'],
])

export type Resource = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [k: string]: unknown
}

export interface ListenerSpec {
  name: string
  port: number
  protocol: string
  hostname?: string
}

export type GatewayResource = Resource & { spec: { gatewayClassName: string; listeners: ListenerSpec[] } }

export interface CaseRequest {
  host: string | null
  method: string
  path: string
  headers?: Record<string, string>
  backendResponseHeaders?: Record<string, string>
  followRedirects?: boolean
  port?: number
  scheme?: 'http' | 'https'
  sni?: string
  protocol?: 'HTTP/2'
  uuidPlaceholder?: string
}

export interface Redirect {
  scheme: string
  host: string | null
  port: string | null
  path: string
}

export interface Distribution {
  weights: Record<string, number>
  expectedFractions: Record<string, number>
  samples: number
  tolerance: number
  zeroWeightReceivesNothing?: boolean
  maxTries?: number
}

export interface MirrorDistribution {
  samples: number
  concurrency: number
  toleranceStdDevs: number
  maxTries?: number
  percent: number
}

export interface CaseExpect {
  status: number
  acceptStatus?: number[]
  backend?: string | null
  backendOneOf?: string[]
  backendNamespace?: string
  backendChecked?: boolean
  statusOrigin?: string
  answeredByGateway?: boolean
  path?: string
  host?: string
  headers?: Record<string, string>
  absentHeaders?: string[]
  responseHeaders?: Record<string, string>
  responseHeaderOneOf?: Record<string, string[]>
  absentResponseHeaders?: string[]
  ignoreWhitespaceInResponseHeaders?: boolean
  redirect?: Redirect
  redirectLocation?: string
  mirroredTo?: { backend: string; pathSameAsRequest?: boolean; percent?: number }[]
  mirrorDistribution?: MirrorDistribution
  distribution?: Distribution
  invariant?: { repeat: number; description?: string; headerEqualsServingBackend?: string }
}

export interface Precondition {
  delete?: { kind: string; namespace: string; name: string }
}

export interface Case {
  name?: string
  gateway: string
  precondition?: Precondition
  request: CaseRequest
  expect: CaseExpect
}

export interface Suite {
  name: string
  upstreamTest: string
  notes?: string
  statusOnly?: boolean
  gateways: GatewayResource[]
  routes: Resource[]
  referenceGrants?: Resource[]
  backends: string[]
  attachment?: { route: string; parent: string; accepted: boolean; reason?: string }[]
  cases: Case[]
}

export interface Environment {
  namespaces: Record<string, { labels: Record<string, string> }>
  services: Record<string, { name?: string; port: number; targetPort?: number; appProtocol?: string }[]>
}

export interface CasesFile {
  conventions: Record<string, unknown>
  environment: Environment
  suites: Suite[]
  counts: { suites: number; cases: number }
}

export function loadCases(file = CASES_FILE): CasesFile {
  return JSON.parse(readFileSync(file, 'utf8')) as CasesFile
}

/** `namespace/name` of a resource. */
export const refOf = (r: Resource): string => `${r.metadata.namespace ?? 'default'}/${r.metadata.name}`
