/**
 * @module
 * Start and stop the control service: open the store, key pair and tokens in
 * `dataDir`, serve the Control API on `address:port` (port 0 = any free port).
 * Used by `weft control` and by tests.
 *
 * @example
 * const control = await startControl({ dataDir: '/var/lib/weft', address: '127.0.0.1', port: 7070 })
 * control.url // 'http://127.0.0.1:7070'
 * await control.close()
 */
import { mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createAdaptorServer } from '@hono/node-server'
import { controlApp } from './app.js'
import { ADMIN_TOKEN_FILE, Auth } from './auth.js'
import { BundleCache } from './bundles.js'
import { JWKS_FILE, loadOrCreateSigningKey } from './keys.js'
import { Waiters } from './longpoll.js'
import { controlMetrics } from './metrics.js'
import { ProxyReports } from './proxies.js'
import { Store } from './store.js'

export interface ControlOptions {
  dataDir: string
  address: string
  port: number
  /** Defaults to `WEFT_ADMIN_TOKEN`; when neither is set the token lives in `DIR/admin-token`. */
  adminToken?: string
  /** Bundle lifetime (expiresAt - issuedAt), seconds; default 24 h. */
  bundleLifetimeSeconds?: number
}

export interface ControlService {
  url: string
  port: number
  store: Store
  /** `DIR/admin-token`, or undefined when the admin token came from the environment. */
  adminTokenFile: string | undefined
  jwksFile: string
  close(): Promise<void>
}

export async function startControl(o: ControlOptions): Promise<ControlService> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 })
  const store = Store.open(o.dataDir)
  const key = await loadOrCreateSigningKey(o.dataDir)
  const envToken = o.adminToken ?? process.env.WEFT_ADMIN_TOKEN
  const auth = await Auth.open(o.dataDir, envToken || undefined)
  const waiters = new Waiters()
  store.onChange((v) => waiters.release(v))
  const bundles = new BundleCache(store, key, { ...(o.bundleLifetimeSeconds !== undefined && { lifetimeSeconds: o.bundleLifetimeSeconds }) })
  const reports = new ProxyReports(o.dataDir)
  const app = controlApp({ store, bundles, auth, waiters, reports, metrics: controlMetrics(), jwks: { keys: [key.publicJwk] } })

  // Leases: an instance that stopped renewing drops out of every bundle.
  const sweep = setInterval(() => store.expire(), 1000)
  sweep.unref()
  const server = createAdaptorServer({ fetch: app.fetch, hostname: o.address }) as Server
  // Long-polls hold requests up to 60 s; keep-alive sockets must outlive them.
  server.requestTimeout = 0
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = o.address.includes(':') ? `[${o.address}]` : o.address === '0.0.0.0' ? '127.0.0.1' : o.address
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    adminTokenFile: envToken ? undefined : join(o.dataDir, ADMIN_TOKEN_FILE),
    jwksFile: join(o.dataDir, JWKS_FILE),
    async close() {
      clearInterval(sweep)
      waiters.releaseAll()
      reports.flush()
      await new Promise<void>((resolve) => {
        // Released long-polls answer on their keep-alive sockets; close each as it goes idle.
        const idle = setInterval(() => server.closeIdleConnections(), 20)
        const hard = setTimeout(() => server.closeAllConnections(), 2000)
        server.close(() => {
          clearInterval(idle)
          clearTimeout(hard)
          resolve()
        })
        server.closeIdleConnections()
      })
    },
  }
}
