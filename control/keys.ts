/**
 * @module
 * The bundle-signing key pair: Ed25519, created on first start and kept in `DIR` as a
 * private JWK (`signing-key.jwk.json`, mode 0600). Its `kid` is the JWK thumbprint
 * (RFC 7638). The public key is written to `DIR/jwks.json`, the file proxies are
 * given with `--trust`, and served at `GET /.well-known/jwks.json`.
 *
 * @example
 * const key = await loadOrCreateSigningKey('/var/lib/weft')
 * key.kid // 'Yx9…'
 */
import { createPrivateKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto'
import { chmodSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose'
import { BUNDLE_ALG } from '../core/bundle/format.js'
import { writeFileAtomic } from './fs-atomic.js'

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  /** The same private key for node:crypto (the fast signing path, see sign.ts). */
  keyObject: KeyObject
  /** The public JWK with `kid`, `alg` and `use`, as in jwks.json. */
  publicJwk: JWK
}

export const KEY_FILE = 'signing-key.jwk.json'
export const JWKS_FILE = 'jwks.json'

export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  const file = join(dir, KEY_FILE)
  let privateJwk: JWK
  if (existsSync(file)) {
    privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK
    chmodSync(file, 0o600)
  } else {
    const pair = await generateKeyPair(BUNDLE_ALG, { crv: 'Ed25519', extractable: true })
    privateJwk = await exportJWK(pair.privateKey)
    privateJwk.kid = await calculateJwkThumbprint(privateJwk)
    writeFileAtomic(file, JSON.stringify(privateJwk), 0o600)
  }
  const { d: _d, ...pub } = privateJwk
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(pub))
  const publicJwk: JWK = { ...pub, kid, alg: BUNDLE_ALG, use: 'sig' }
  const jwks = JSON.stringify({ keys: [publicJwk] }, null, 2) + '\n'
  const jwksFile = join(dir, JWKS_FILE)
  if (!existsSync(jwksFile) || readFileSync(jwksFile, 'utf8') !== jwks) writeFileAtomic(jwksFile, jwks)
  const privateKey = (await importJWK({ ...privateJwk, alg: BUNDLE_ALG }, BUNDLE_ALG)) as CryptoKey
  const keyObject = createPrivateKey({ key: privateJwk as NodeJsonWebKey, format: 'jwk' })
  return { kid, privateKey, keyObject, publicJwk }
}
