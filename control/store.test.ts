/**
 * The store alone: upsert, all-or-nothing rejection, delete, unchanged applies,
 * persistence across reopen, instance leases.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store } from './store.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-store-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const svc = (name: string, port = 80) => `apiVersion: weft.dev/v1alpha1\nkind: Service\nmetadata: { name: ${name} }\nspec: { ports: [{ port: ${port} }] }\n`
const file = (text: string) => [{ name: 'f.yaml', text }]

describe('Store', () => {
  it('Should start at version 1 with an empty config', () => {
    const s = Store.open(dir)
    expect(s.version).toBe(1)
    expect(s.resources()).toEqual([])
    expect(s.history()).toEqual([expect.objectContaining({ version: 1, action: 'init' })])
  })

  it('Should upsert by kind, namespace and name, and not bump the version for an unchanged apply', () => {
    const s = Store.open(dir)
    expect(s.apply(file(svc('a') + '---\n' + svc('b')))).toMatchObject({ ok: true, version: 2, changed: true })
    expect(s.apply(file(svc('a', 81)))).toMatchObject({ ok: true, version: 3, diff: { added: [], changed: ['Service default/a'], removed: [] } })
    expect(s.apply(file(svc('a', 81)))).toMatchObject({ ok: true, version: 3, changed: false })
    expect(s.config.services.map((x) => `${x.metadata.name}:${x.spec.ports[0]!.port}`)).toEqual(['a:81', 'b:80'])
  })

  it('Should reject a change with every error and keep the state', () => {
    const s = Store.open(dir)
    s.apply(file(svc('a')))
    const before = readFileSync(join(dir, 'state.json'), 'utf8')
    const r = s.apply(file(svc('a', 99999) + '---\nkind: Nope\n'))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.map((e) => e.document)).toEqual([0, 1])
    expect(s.version).toBe(2)
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before)
  })

  it('Should delete all or nothing', () => {
    const s = Store.open(dir)
    s.apply(file(svc('a') + '---\n' + svc('b')))
    expect(s.delete([{ kind: 'Service', name: 'a' }, { kind: 'Service', name: 'zz' }])).toMatchObject({ ok: false, status: 404 })
    expect(s.resources()).toHaveLength(2)
    expect(s.delete([{ kind: 'Service', namespace: 'default', name: 'a' }])).toMatchObject({ ok: true, version: 3, diff: { removed: ['Service default/a'] } })
  })

  it('Should reopen at the same version with the same resources and history, ignoring a stale temp file', () => {
    const s = Store.open(dir)
    s.apply(file(svc('a')))
    s.delete([{ kind: 'Service', name: 'a' }])
    s.apply(file(svc('b')))
    writeFileSync(join(dir, 'state.json.tmp-12345'), '{"half": ')
    const t = Store.open(dir)
    expect(t.version).toBe(4)
    expect(t.resources()).toEqual(s.resources())
    expect(t.history()).toEqual(s.history())
    expect(t.apply(file(svc('c'))).ok && t.version).toBe(5)
  })

  it('Should add registered instances to their Service and drop them when the lease lapses', () => {
    const s = Store.open(dir)
    s.apply(file(svc('a')))
    const versions: number[] = []
    s.onChange((v) => versions.push(v))
    s.register({ scope: 'sidecar.default.a', instance: 'i1', address: '10.0.0.1', port: 15006, labels: {}, leaseSeconds: 10 }, 1000)
    expect(s.config.services[0]!.spec.endpoints).toEqual([{ address: '10.0.0.1', port: 15006, labels: { 'weft.dev/instance': 'i1' } }])
    expect(s.expire(5000)).toEqual([])
    expect(s.expire(11_001)).toEqual(['Instance sidecar.default.a/i1'])
    expect(s.config.services[0]!.spec.endpoints).toEqual([])
    expect(versions).toEqual([3, 4])
  })
})
