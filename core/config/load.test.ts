/**
 * The loader: documents and files, JSON forms, every issue collected with its
 * file, document, resource, field path and line, syntax errors, duplicates,
 * unknown kinds, origins, and the one-line format.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatIssue, formatIssues, loadConfig } from './load.js'
import type { ConfigIssue } from './types.js'

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: 80, protocol: HTTP }]`

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]`

function issuesOf(files: { name: string; text: string }[]): ConfigIssue[] {
  const r = loadConfig(files)
  if (r.ok) throw new Error('expected the config to be rejected')
  return r.issues
}

describe('loadConfig', () => {
  it('Should load multi-document YAML across files, skip empty documents and record each origin', () => {
    const r = loadConfig([
      { name: 'gw.yaml', text: `---\n${GATEWAY}\n---\n# nothing here\n---\n` },
      { name: 'routes.yaml', text: `${ROUTE}\n---\n---\n${ROUTE.replace('name: web', 'name: api')}` },
    ])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    expect(r.config.gateways.map((g) => g.origin)).toEqual([{ file: 'gw.yaml', document: 0 }])
    // Document indexes count the empty document between the two routes, as the reader sees the file.
    expect(r.config.httpRoutes.map((h) => [h.metadata.name, h.origin])).toEqual([
      ['web', { file: 'routes.yaml', document: 0 }],
      ['api', { file: 'routes.yaml', document: 2 }],
    ])
  })

  it('Should accept JSON as one object, an array of objects, or a kind: List', () => {
    const gw = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'edge' }, spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } }
    const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
    const r = loadConfig([
      { name: 'one.json', text: JSON.stringify(gw) },
      { name: 'many.json', text: JSON.stringify([ns('a'), ns('b')]) },
      { name: 'list.json', text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ns('c')] }) },
      { name: 'list.yaml', text: `apiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify(ns('d'))}` },
    ])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    expect(r.config.gateways).toHaveLength(1)
    expect(r.config.namespaces.map((n) => [n.metadata.name, n.origin?.file])).toEqual([
      ['a', 'many.json'],
      ['b', 'many.json'],
      ['c', 'list.json'],
      ['d', 'list.yaml'],
    ])
  })

  it('Should accept an empty config', () => {
    expect(loadConfig([])).toEqual({ ok: true, config: { namespaces: [], secrets: [], gateways: [], httpRoutes: [], referenceGrants: [], services: [] } })
    expect(loadConfig([{ name: 'empty.yaml', text: '' }, { name: 'empty.json', text: ' \n' }]).ok).toBe(true)
  })

  it('Should collect every error across documents and files, each with its file, document, resource, path and line', () => {
    const bad = ROUTE.replace('port: 80 }', 'port: 80, weight: -5 }')
    const issues = issuesOf([
      { name: 'mesh.yaml', text: `${GATEWAY}\n---\n${bad}\n---\n${ROUTE.replace('name: web', 'name: two').replace('rules: [', 'rules: [{ matches: [{ path: { type: Exact, value: x } }] }, ')}` },
      { name: 'more.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: Shop }' },
    ])
    expect(issues).toEqual([
      {
        file: 'mesh.yaml',
        document: 1,
        resource: 'HTTPRoute default/web',
        path: 'spec.rules[0].backendRefs[0].weight',
        line: 13,
        message: 'must be between 0 and 1000000',
      },
      {
        file: 'mesh.yaml',
        document: 2,
        resource: 'HTTPRoute default/two',
        path: 'spec.rules[0].matches[0].path.value',
        line: 20,
        message: 'must be an absolute path starting with "/": write /x',
      },
      {
        file: 'more.yaml',
        document: 0,
        resource: 'Namespace Shop',
        path: 'metadata.name',
        line: 3,
        message: expect.stringMatching(/^must be a DNS label/),
      },
    ])
  })

  it('Should report a YAML syntax error with its line and still check the other documents', () => {
    const issues = issuesOf([{ name: 'mesh.yaml', text: `${GATEWAY}\n---\nkind: HTTPRoute\nmetadata: { name: [oops }\n---\n${ROUTE.replace('port: 80', 'port: 0')}` }])
    const syntax = issues.filter((i) => i.document === 1)
    expect(syntax.length).toBeGreaterThan(0)
    for (const i of syntax) {
      expect(i).toMatchObject({ file: 'mesh.yaml', line: 9 })
      expect(i.message).toMatch(/^YAML syntax error \(line 9, column \d+\): /)
    }
    expect(issues.filter((i) => i.document !== 1)).toEqual([
      { file: 'mesh.yaml', document: 2, resource: 'HTTPRoute default/web', path: 'spec.rules[0].backendRefs[0].port', line: 16, message: 'must be between 1 and 65535' },
    ])
  })

  it('Should reject duplicate keys in a YAML mapping', () => {
    const issues = issuesOf([{ name: 'dup.yaml', text: 'apiVersion: v1\nkind: Namespace\nkind: Namespace\nmetadata: { name: a }' }])
    expect(issues).toEqual([{ file: 'dup.yaml', document: 0, line: 3, message: expect.stringMatching(/YAML syntax error .*unique/) }])
  })

  it('Should report a JSON syntax error', () => {
    const issues = issuesOf([{ name: 'bad.json', text: '{"kind": }' }])
    expect(issues).toEqual([{ file: 'bad.json', document: 0, message: expect.stringMatching(/^JSON syntax error: /) }])
  })

  it('Should name the supported kinds for an unknown kind, and the accepted apiVersions for a known one', () => {
    const issues = issuesOf([
      { name: 'k.yaml', text: 'apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: { name: g }\n---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: HTTPRoute\nmetadata: { name: h }\n---\nmetadata: { name: x }' },
    ])
    expect(issues[0]).toMatchObject({ document: 0, resource: 'GRPCRoute default/g', path: 'kind' })
    expect(issues[0]!.message).toMatch(/^unknown kind "GRPCRoute"; Weft reads Gateway \(gateway\.networking\.k8s\.io\/v1\), HTTPRoute .*Service \(weft\.dev\/v1alpha1\)$/)
    expect(issues[1]).toMatchObject({ document: 1, path: 'apiVersion', message: 'HTTPRoute is not read as "gateway.networking.k8s.io/v1alpha2"; use gateway.networking.k8s.io/v1 or gateway.networking.k8s.io/v1beta1' })
    expect(issues.slice(2).map((i) => [i.path, i.message.split(';')[0]])).toEqual([
      ['apiVersion', 'is required'],
      ['kind', 'is required'],
    ])
  })

  it('Should point a core v1 Service at the weft.dev kind', () => {
    const [issue] = issuesOf([{ name: 's.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: { name: api }\nspec: { ports: [{ port: 80 }] }' }])
    expect(issue!.message).toMatch(/declare it as apiVersion weft\.dev\/v1alpha1/)
  })

  it('Should reject the same kind, namespace and name twice, across files, and say where the first is', () => {
    const issues = issuesOf([
      { name: 'a.yaml', text: ROUTE },
      { name: 'b.yaml', text: `${ROUTE.replace('name: web', 'name: other')}\n---\n${ROUTE}` },
    ])
    expect(issues).toEqual([
      {
        file: 'b.yaml',
        document: 1,
        resource: 'HTTPRoute default/web',
        path: 'metadata.name',
        line: 10,
        message: 'HTTPRoute default/web is defined twice (first in a.yaml document 1); each kind, namespace and name may appear once',
      },
    ])
  })

  it('Should allow one name in different namespaces or kinds', () => {
    const r = loadConfig([{ name: 'm.yaml', text: `${ROUTE}\n---\n${ROUTE.replace('name: web', 'name: web, namespace: other')}\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: web }` }])
    expect(r.ok).toBe(true)
  })

  it('Should report a document that is not a resource', () => {
    const issues = issuesOf([{ name: 'x.yaml', text: 'just a string\n---\n- 1\n---\napiVersion: v1\nkind: List\nitems: 3' }])
    expect(issues.map((i) => [i.document, i.path, i.message])).toEqual([
      [0, undefined, 'must be a resource (a mapping with apiVersion, kind, metadata …), not a string'],
      [1, '[0]', 'must be a resource (a mapping with apiVersion, kind, metadata …), not a number'],
      [2, 'items', 'must be a list of resources (a kind: List holds its resources under items)'],
    ])
  })

  it('Should give List items their index in the path', () => {
    const issues = issuesOf([{ name: 'l.json', text: JSON.stringify({ kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ok' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: {} }] }) }])
    expect(issues).toEqual([{ file: 'l.json', document: 0, path: 'items[1].metadata.name', message: 'is required' }])
  })
})

describe('loadConfig on real files', () => {
  it('Should load examples/gateway.yaml', () => {
    const text = readFileSync(new URL('../../examples/gateway.yaml', import.meta.url), 'utf8')
    const r = loadConfig([{ name: 'examples/gateway.yaml', text }])
    if (!r.ok) throw new Error(formatIssues(r.issues))
    expect(r.config.httpRoutes[0]!.spec.rules[0]!.timeouts).toEqual({ request: 5000 })
    expect(r.config.services.map((s) => s.metadata.name)).toEqual(['api-v1', 'api-v2'])
  })

  it('Should keep a __proto__ key as data, never as a prototype', () => {
    const r = loadConfig([{ name: 'p.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  __proto__: { polluted: true }' }])
    expect(r.ok).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    if (r.ok) expect((r.config.namespaces[0]!.metadata as unknown as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('formatIssues', () => {
  it('Should print one line per issue: file[:line]: document N (resource): path: message, counting documents from 1', () => {
    const text = formatIssues([
      { file: 'mesh.yaml', document: 1, resource: 'HTTPRoute default/web', path: 'spec.rules[0].backendRefs[0].weight', message: 'must be between 0 and 1000000' },
      { file: 'mesh.yaml', document: 0, line: 3, message: 'YAML syntax error (line 3, column 1): bad' },
      { file: 'mesh.json', message: 'cannot read' },
    ])
    expect(text.split('\n')).toEqual([
      'mesh.yaml: document 2 (HTTPRoute default/web): spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000',
      'mesh.yaml:3: document 1: YAML syntax error (line 3, column 1): bad',
      'mesh.json: cannot read',
    ])
  })

  it('Should format what loadConfig reports', () => {
    const issues = issuesOf([{ name: 'mesh.yaml', text: `${GATEWAY}\n---\n${ROUTE.replace('port: 80 }', 'port: 80, weight: 1000001 }')}` }])
    expect(issues.map(formatIssue)).toEqual(['mesh.yaml:13: document 2 (HTTPRoute default/web): spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000'])
  })
})
