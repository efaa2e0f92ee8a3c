/**
 * @module
 * The resources Weft understands, after the API server's defaults are applied
 * (see core/config/schema.ts). These are what the compiler works from. Field names
 * follow the Kubernetes Gateway API (gateway.networking.k8s.io/v1) verbatim.
 */

export interface ObjectMeta {
  name: string
  /** Defaults to `default`. */
  namespace: string
  labels: Record<string, string>
  /** RFC 3339; used only for route precedence ties. Absent = treated as equal ages. */
  creationTimestamp?: string
}

/** Where a resource came from, for error messages and `/config`. */
export interface Origin {
  file: string
  /** 0-based index of the YAML/JSON document within the file. */
  document: number
}

interface Resource<K extends string, S> {
  apiVersion: string
  kind: K
  metadata: ObjectMeta
  spec: S
  origin?: Origin
}

// ---------- core v1 ----------
export type Namespace = Omit<Resource<'Namespace', Record<string, never>>, 'spec'>
export interface Secret extends Omit<Resource<'Secret', never>, 'spec'> {
  type: string
  /** Decoded `data` (base64) merged with `stringData`. */
  data: Record<string, string>
}

// ---------- gateway.networking.k8s.io ----------
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[]
}

export interface SecretObjectReference { group: string; kind: string; name: string; namespace?: string }

export interface Listener {
  name: string
  hostname?: string
  port: number
  protocol: 'HTTP' | 'HTTPS' | string
  tls?: { mode: 'Terminate' | 'Passthrough'; certificateRefs: SecretObjectReference[] }
  allowedRoutes: {
    namespaces: { from: 'Same' | 'All' | 'Selector'; selector?: LabelSelector }
    /** Absent = the protocol's default kinds (HTTPRoute for HTTP/HTTPS). */
    kinds?: { group: string; kind: string }[]
  }
}

export type Gateway = Resource<'Gateway', { gatewayClassName: string; listeners: Listener[] }>

export interface ParentReference {
  group: string // default gateway.networking.k8s.io
  kind: string // default Gateway
  namespace: string // default: the route's namespace
  name: string
  sectionName?: string
  port?: number
}

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression'
export type StringMatchType = 'Exact' | 'RegularExpression'

export interface HTTPRouteMatch {
  path: { type: PathMatchType; value: string } // default PathPrefix '/'
  headers: { type: StringMatchType; name: string; value: string }[]
  queryParams: { type: StringMatchType; name: string; value: string }[]
  method?: string
}

export interface HTTPHeader { name: string; value: string }
export interface HeaderModifier { set: HTTPHeader[]; add: HTTPHeader[]; remove: string[] }

export type PathModifier =
  | { type: 'ReplaceFullPath'; replaceFullPath: string }
  | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string }

export interface BackendObjectReference {
  group: string // default '' (core)
  kind: string // default Service
  name: string
  namespace: string // default: the route's namespace
  port?: number
}

export type HTTPRouteFilter =
  | { type: 'RequestHeaderModifier'; requestHeaderModifier: HeaderModifier }
  | { type: 'ResponseHeaderModifier'; responseHeaderModifier: HeaderModifier }
  | {
      type: 'RequestRedirect'
      requestRedirect: {
        scheme?: 'http' | 'https'
        hostname?: string
        path?: PathModifier
        port?: number
        statusCode: 301 | 302 | 303 | 307 | 308 // default 302
      }
    }
  | { type: 'URLRewrite'; urlRewrite: { hostname?: string; path?: PathModifier } }
  | {
      type: 'RequestMirror'
      requestMirror: {
        backendRef: BackendObjectReference
        /** 0..100; absent with absent fraction = 100. */
        percent?: number
        fraction?: { numerator: number; denominator: number } // denominator default 100
      }
    }
  | { type: 'ExtensionRef'; extensionRef: { group: string; kind: string; name: string } }
  | { type: 'CORS'; cors: Record<string, unknown> }

export interface HTTPBackendRef extends BackendObjectReference {
  weight: number // default 1
  filters: HTTPRouteFilter[]
}

export interface HTTPRouteRule {
  name?: string
  matches: HTTPRouteMatch[] // default [{path: PathPrefix '/'}]
  filters: HTTPRouteFilter[]
  backendRefs: HTTPBackendRef[]
  /** Durations in milliseconds, parsed from Gateway API duration strings; 0 = disabled. */
  timeouts?: { request?: number; backendRequest?: number }
  /** Kept verbatim for the resilience work; not acted on yet. */
  retry?: { codes?: number[]; attempts?: number; backoff?: string }
}

export type HTTPRoute = Resource<'HTTPRoute', { parentRefs: ParentReference[]; hostnames: string[]; rules: HTTPRouteRule[] }>

export type ReferenceGrant = Resource<
  'ReferenceGrant',
  { from: { group: string; kind: string; namespace: string }[]; to: { group: string; kind: string; name?: string }[] }
>

// ---------- weft.dev/v1alpha1 ----------
export interface ServicePort { name?: string; port: number; targetPort?: number; appProtocol?: string }
export interface ServiceEndpoint { address: string; port: number; labels: Record<string, string> }
export type Service = Resource<'Service', { ports: ServicePort[]; endpoints: ServiceEndpoint[] }>

export type AnyResource = Namespace | Secret | Gateway | HTTPRoute | ReferenceGrant | Service
export type ResourceKind = AnyResource['kind']

/** Everything loaded from one set of files, grouped by kind, in document order. */
export interface ConfigSet {
  namespaces: Namespace[]
  secrets: Secret[]
  gateways: Gateway[]
  httpRoutes: HTTPRoute[]
  referenceGrants: ReferenceGrant[]
  services: Service[]
}

/** One problem with the config: where it is and what is wrong. */
export interface ConfigIssue {
  file: string
  /** 0-based document index, when the problem is inside one document. */
  document?: number
  /** `kind ns/name`, when known. */
  resource?: string
  /** Field path inside the document, e.g. `spec.rules[0].matches[1].path.value`. */
  path?: string
  /** 1-based line in the file, when known (YAML files). */
  line?: number
  message: string
}
