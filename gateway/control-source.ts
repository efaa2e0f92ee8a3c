/**
 * @module
 * Config from the control plane (`weft gateway --control URL`): the bundle client of
 * core/bundle, with the node pieces it needs — the trusted JWKS read from `--trust`,
 * the bundle cache on disk in `--data`. Each verified bundle is built into a gateway
 * snapshot and committed by the gateway's own activate (listeners, then swap).
 *
 * @example
 * const client = await controlSource({ url, token, trustFile: 'jwks.json', dataDir: '.weft', scope, registry, activator, log })
 * await client.start()
 */
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import type { JSONWebKeySet } from 'jose'
import type { Activator } from '../core/bundle/activate.js'
import { memoryCache } from '../core/bundle/cache.js'
import { bundleClient } from '../core/bundle/client.js'
import { BundleStatus } from '../core/bundle/status.js'
import { bundleVerifier } from '../core/bundle/verify.js'
import type { MetricsRegistry } from '../core/metrics/registry.js'
import { fsBundleCache } from '../runtime/node/fs-cache.js'

export interface ControlSourceOptions {
  url: string
  token?: string | undefined
  trustFile: string
  dataDir?: string | undefined
  scope: string
  instance?: string | undefined
  waitSeconds?: number
  registry: MetricsRegistry
  log: (msg: string) => void
  onReject?: (err: unknown) => void
}

/** Thrown when `--trust` cannot be read or holds no usable key. */
export class TrustError extends Error {
  override name = 'TrustError'
}

export async function readTrust(file: string): Promise<JSONWebKeySet> {
  let jwks: unknown
  try {
    jwks = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new TrustError(`--trust ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  const keys = (jwks as { keys?: unknown })?.keys
  if (!Array.isArray(keys) || keys.length === 0) throw new TrustError(`--trust ${file}: expected a JWKS, {"keys": [...]} with at least one key (weft control writes DIR/jwks.json)`)
  return jwks as JSONWebKeySet
}

export async function controlSource<S>(opts: ControlSourceOptions & { activator: Activator<S> }) {
  const jwks = await readTrust(opts.trustFile)
  return bundleClient({
    controlUrl: opts.url,
    scope: opts.scope,
    token: opts.token,
    instance: opts.instance ?? `${hostname()}:${process.pid}`,
    verifier: bundleVerifier({ jwks, scope: opts.scope }),
    cache: opts.dataDir ? fsBundleCache(opts.dataDir, opts.scope) : memoryCache(),
    status: new BundleStatus(opts.registry),
    activator: opts.activator,
    log: opts.log,
    ...(opts.onReject && { onReject: opts.onReject }),
    ...(opts.waitSeconds !== undefined && { waitSeconds: opts.waitSeconds }),
  })
}
