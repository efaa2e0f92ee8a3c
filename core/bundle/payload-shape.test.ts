import { describe, expect, it } from 'vitest'
import { emptyConfigSet } from '../config/load.js'
import { payloadProblem } from './payload-shape.js'

const good = () => ({ version: 3, issuedAt: 1, expiresAt: 2, scope: 'gateway.default.edge', kid: 'k', config: { ...emptyConfigSet(), services: [{ kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: {} }] } })

describe('payloadProblem', () => {
  it('Should pass a well-formed payload', () => {
    expect(payloadProblem(good())).toBeUndefined()
  })
  it('Should name the first field that is wrong, with its path', () => {
    expect(payloadProblem([])).toBe('(root): expected an object')
    expect(payloadProblem({ ...good(), version: -1 })).toMatch(/^version:/)
    expect(payloadProblem({ ...good(), version: 'seven' })).toMatch(/^version:/)
    expect(payloadProblem({ ...good(), expiresAt: '2' })).toBe('expiresAt: expected a number')
    expect(payloadProblem({ ...good(), kid: 1 })).toBe('kid: expected a string')
    expect(payloadProblem({ ...good(), config: { ...good().config, gateways: 1 } })).toBe('config.gateways: expected an array')
    const noName = good()
    ;(noName.config.services[0]!.metadata as { name?: string }).name = undefined
    expect(payloadProblem(noName)).toBe('config.services.0.metadata.name: expected a string')
  })
})
