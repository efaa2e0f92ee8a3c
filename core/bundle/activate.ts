/**
 * @module
 * Activate a verified bundle: build the whole snapshot off to the side, then commit it
 * (the caller's swap: one assignment, after any listeners are bound). If building or
 * committing fails, nothing changes — the old snapshot keeps serving — and the failure
 * is a BundleConfigInvalid (a NACK). Accepts only a `VerifiedBundle`.
 *
 * @example
 * const snap = await activate(verified, {
 *   build: (config, version) => buildGatewaySnapshot(config, 'default/edge', version, deps),
 *   commit: (snap) => store.swap(snap),
 * })
 */
import type { ConfigSet } from '../config/types.js'
import { BundleConfigInvalid } from './errors.js'
import type { VerifiedBundle } from './verify.js'

export interface Activator<S> {
  build(config: ConfigSet, version: number): S | Promise<S>
  commit(snapshot: S): void | Promise<void>
}

export async function activate<S>(bundle: VerifiedBundle, activator: Activator<S>): Promise<S> {
  let snapshot: S
  try {
    snapshot = await activator.build(bundle.config, bundle.version)
  } catch (err) {
    throw new BundleConfigInvalid(`bundle version ${bundle.version} does not build: ${(err as Error).message}`, { cause: err })
  }
  try {
    await activator.commit(snapshot)
  } catch (err) {
    throw new BundleConfigInvalid(`bundle version ${bundle.version} could not be put in service: ${(err as Error).message}`, { cause: err })
  }
  return snapshot
}
