/**
 * A rolling restart: api runs two instances, each with its own sidecar; under a load
 * loop from web, one api sidecar gets SIGTERM. It deregisters and drains, and no
 * request from web fails: the remaining instance takes the traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlProcess, type ControlProcess } from './control-process.js'
import { eventually, send, startEchoApp, startSidecar, type EchoApp, type SidecarProcess } from './sidecar-process.js'

let dir: string
let control: ControlProcess
const apps: EchoApp[] = []
const sidecars: SidecarProcess[] = []
const meshService = (name: string) => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sidecar-rolling-'))
  control = await startControlProcess(join(dir, 'control'))
  expect((await control.api('POST', '/v1/config', { resources: [meshService('web'), meshService('api')] })).status).toBe(200)
  const token = (s: string) => control.api('POST', '/v1/tokens', { service: s }).then((r) => r.json()).then((j: { token: string }) => j.token)
  for (const name of ['web', 'api-1', 'api-2']) apps.push(await startEchoApp(name))
  sidecars.push(await startSidecar({ service: 'web', app: apps[0]!.url, control, token: await token('web'), lease: 60 }))
  sidecars.push(await startSidecar({ service: 'api', app: apps[1]!.url, control, token: await token('api'), lease: 60 }))
  sidecars.push(await startSidecar({ service: 'api', app: apps[2]!.url, control, token: await token('api'), lease: 60 }))
}, 60_000)

afterAll(async () => {
  for (const s of sidecars) await s.stop('SIGKILL')
  await control?.stop()
  for (const a of apps) await a.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('rolling restart of a sidecar', () => {
  it('Should fail no request from a peer while one of two instances stops with SIGTERM', async () => {
    const web = sidecars[0]!
    const seen = new Set<string>()
    await eventually(async () => {
      seen.add(JSON.parse((await send(web.outbound, '/', { host: 'api' })).body).app)
      return seen.size === 2
    }, 10_000, 'both api instances reached')
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    const failures: string[] = []
    let ok = 0
    let running = true
    const one = () =>
      new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: web.outbound, path: '/load', headers: { host: 'api' }, agent }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => {
            if (res.statusCode === 200) ok++
            else failures.push(`${res.statusCode} ${body.slice(0, 200)}`)
            resolve()
          })
        })
        req.on('error', (err) => (failures.push(err.message), resolve()))
        req.end()
      })
    const loops = Array.from({ length: 4 }, async () => {
      while (running) await one()
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(await sidecars[2]!.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    await new Promise((r) => setTimeout(r, 500))
    running = false
    await Promise.all(loops)
    agent.destroy()
    console.log(`rolling restart: ${ok} requests, ${failures.length} failed`)
    expect(failures).toEqual([])
    expect(JSON.parse((await send(web.outbound, '/', { host: 'api' })).body).app).toBe('api-1')
  }, 60_000)
})
