/**
 * Gateway, ReferenceGrant, Namespace, Secret and the weft.dev Service: the CRD and
 * API-server checks, and Secret decoding.
 */
import { describe, expect, it } from 'vitest'
import { parseResource } from './schema.js'
import { formatPath } from './messages.js'
import type { AnyResource, Secret } from './types.js'

function problems(raw: unknown): string[] {
  const r = parseResource(raw)
  return r.ok ? [] : r.problems.map((p) => `${formatPath(p.path)}: ${p.message}`)
}

function parsed(raw: unknown): AnyResource {
  const r = parseResource(raw)
  if (!r.ok) throw new Error(r.problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('\n'))
  return r.resource
}

const gateway = (listeners: unknown[]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'edge' },
  spec: { gatewayClassName: '{GATEWAY_CLASS_NAME}', listeners },
})
const http = { name: 'http', port: 80, protocol: 'HTTP' }
const certs = { certificateRefs: [{ name: 'cert' }] }

describe('Gateway', () => {
  it('Should want unique listener names and unique port/protocol/hostname combinations', () => {
    expect(problems(gateway([http, { ...http, port: 8080 }, { ...http, name: 'other' }]))).toEqual([
      'spec.listeners[1].name: listener name "http" is already used by listeners[0]; names must be unique in a Gateway',
      'spec.listeners[2]: has the same port, protocol and hostname as listeners[0]; each listener needs its own combination',
    ])
    expect(problems(gateway([http, { ...http, name: 'foo', hostname: 'foo.com' }]))).toEqual([])
  })

  it('Should want certificateRefs on an HTTPS listener, and no tls on an HTTP one', () => {
    const https = { name: 'https', port: 443, protocol: 'HTTPS' }
    expect(problems(gateway([https]))).toEqual([
      'spec.listeners[0].tls: is required for protocol HTTPS: add tls.certificateRefs naming the Secret (type kubernetes.io/tls) with the certificate and key',
    ])
    expect(problems(gateway([{ ...https, tls: {} }]))).toEqual([
      'spec.listeners[0].tls.certificateRefs: must name at least one Secret (type kubernetes.io/tls) when TLS is terminated',
    ])
    expect(problems(gateway([{ ...https, tls: { ...certs, mode: 'Passthrough' } }]))).toEqual([
      'spec.listeners[0].tls.mode: must be Terminate for protocol HTTPS (use protocol TLS for passthrough)',
    ])
    expect(problems(gateway([{ ...http, tls: certs }]))).toEqual(['spec.listeners[0].tls: must not be set for protocol HTTP; use protocol HTTPS to terminate TLS'])
    expect(problems(gateway([{ ...https, tls: certs }]))).toEqual([])
  })

  it('Should check listener ports, hostnames, and selectors', () => {
    expect(
      problems(
        gateway([
          { ...http, port: 0 },
          { name: 'b', port: 81, protocol: 'HTTP', hostname: '127.0.0.1' },
          { name: 'c', port: 82, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector' } } },
          { name: 'd', port: 83, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'In' }] } } } },
        ]),
      ),
    ).toEqual([
      'spec.listeners[0].port: must be between 1 and 65535',
      'spec.listeners[1].hostname: must be a DNS name, not an IP address (the Gateway API does not allow IPs in hostnames)',
      'spec.listeners[2].allowedRoutes.namespaces.selector: is required when from is Selector: give matchLabels or matchExpressions for the namespaces whose routes may attach',
      'spec.listeners[3].allowedRoutes.namespaces.selector.matchExpressions[0].values: must list at least one value for operator In',
    ])
  })

  it('Should want at least one listener and a gatewayClassName', () => {
    expect(problems({ ...gateway([]), spec: { listeners: [] } })).toEqual(['spec.gatewayClassName: is required', 'spec.listeners: must have at least 1 entry'])
  })
})

describe('ReferenceGrant', () => {
  const grant = (spec: unknown, apiVersion = 'gateway.networking.k8s.io/v1beta1') => ({ apiVersion, kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'backends' }, spec })

  it('Should read v1beta1 and v1, with an optional target name', () => {
    const spec = { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }], to: [{ group: '', kind: 'Service' }] }
    expect(parsed(grant(spec))).toMatchObject({ metadata: { namespace: 'backends' }, spec })
    expect(parsed(grant({ ...spec, to: [{ group: '', kind: 'Service', name: 'api' }] }, 'gateway.networking.k8s.io/v1')).apiVersion).toBe('gateway.networking.k8s.io/v1')
  })

  it('Should want from and to entries with every field', () => {
    expect(problems(grant({ from: [{ kind: 'HTTPRoute', namespace: 'web' }], to: [] }))).toEqual(['spec.from[0].group: is required', 'spec.to: must have at least 1 entry'])
  })
})

describe('Secret', () => {
  const secret = (fields: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'infra' }, ...fields })
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))

  it('Should base64-decode data and lay stringData over it', () => {
    const s = parsed(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64(pem), 'tls.key': b64('old'), note: b64('héllo ✓') }, stringData: { 'tls.key': 'new' } })) as Secret
    expect(s.type).toBe('kubernetes.io/tls')
    expect(s.data).toEqual({ 'tls.crt': pem, 'tls.key': 'new', note: 'héllo ✓' })
    expect(s).not.toHaveProperty('stringData')
  })

  it('Should reject data that is not base64 or not UTF-8 text, and a TLS Secret without its keys', () => {
    expect(problems(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'not base64!', 'tls.key': '/w==' } }))).toEqual([
      'data["tls.crt"]: is not valid base64; put plain text under stringData instead, or encode it with `base64 -w0`',
      'data["tls.key"]: does not decode to UTF-8 text; Weft reads Secret values as text (PEM)',
    ])
    expect(problems(secret({ type: 'kubernetes.io/tls', stringData: { 'tls.crt': pem } }))).toEqual([
      'data: needs "tls.key" for type kubernetes.io/tls (in data as base64, or in stringData as PEM text)',
    ])
    expect(problems(secret({ data: { 'bad key': b64('x'), n: 5 } }))).toEqual([
      'data["bad key"]: is not a valid key: use letters, digits, "-", "_" and "." only',
      'data.n: must be a string, not number 5; quote it: "5"',
    ])
  })
})

describe('Namespace and metadata', () => {
  it('Should check names and labels as Kubernetes does', () => {
    expect(problems({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b', labels: { 'example.com/team': 'web', 'bad key!': 'x', tier: 'no spaces', version: 2 } } })).toEqual([
      'metadata.name: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
      'metadata.labels["bad key!"]: is not a valid label key: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, with an optional "prefix/"',
      'metadata.labels.tier: is not a valid label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
      'metadata.labels.version: label values must be strings; quote it: "2"',
    ])
  })

  it('Should want metadata.name and keep creationTimestamp for route precedence', () => {
    expect(problems({ apiVersion: 'v1', kind: 'Namespace', metadata: {} })).toEqual(['metadata.name: is required'])
    const ns = parsed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', creationTimestamp: '2024-05-01T12:00:00Z' } })
    expect(ns.metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z')
    expect(problems({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', creationTimestamp: 'yesterday' } })).toEqual([
      'metadata.creationTimestamp: must be an RFC 3339 time such as 2024-05-01T12:00:00Z',
    ])
  })
})

describe('weft.dev Service', () => {
  const service = (spec: unknown, name = 'api') => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name }, spec })

  it('Should accept IPv4, IPv6 and DNS endpoint addresses', () => {
    expect(problems(service({ ports: [{ port: 80 }], endpoints: [{ address: '10.1.2.3', port: 1 }, { address: 'fd00::1', port: 2 }, { address: 'api.internal', port: 3 }] }))).toEqual([])
  })

  it('Should reject bad addresses, ports, duplicate ports and a dotted name', () => {
    expect(
      problems(
        service(
          {
            ports: [{ name: 'http', port: 80 }, { name: 'http', port: 80, targetPort: 'web' }],
            endpoints: [{ address: '10.0.0.1:8080', port: 8080 }, { address: '[::1]', port: 1 }, { address: '300.1.1.1', port: 1 }, { address: 'a', port: 70000 }],
          },
          'api.v1',
        ),
      ),
    ).toEqual([
      'metadata.name: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
      'spec.ports[1].targetPort: must be a port number (named target ports are not supported)',
      'spec.endpoints[0].address: must not include a port: put the port in `port`',
      'spec.endpoints[1].address: must be written without brackets, e.g. ::1',
      'spec.endpoints[2].address: is not a valid IPv4 address',
      'spec.endpoints[3].port: must be between 1 and 65535',
    ])
    expect(problems(service({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 80 }] }))).toEqual([
      'spec.ports[1].port: port 80 is already declared by ports[0]',
      'spec.ports[1].name: port name "http" is already used by ports[0]',
    ])
  })
})
