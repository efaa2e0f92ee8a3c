/**
 * @module
 * Who may call the Control API. The admin token (writes, config, status, token
 * creation) comes from `WEFT_ADMIN_TOKEN` or is generated on first start into
 * `DIR/admin-token` (0600); it is compared in constant time. A proxy token is an
 * HS256 JWT (secret in `DIR/token-secret`, 0600) naming one proxy scope
 * (`sidecar.NS.SVC` or `gateway.NS.NAME`): it fetches that scope's bundle and reports
 * that scope's status, nothing else.
 *
 * @example
 * const auth = await Auth.open(dir, process.env.WEFT_ADMIN_TOKEN)
 * const token = await auth.proxyToken('sidecar.default.api')
 * await auth.identify('Bearer ' + token) // { kind: 'proxy', scope: 'sidecar.default.api' }
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, jwtVerify } from 'jose'
import { writeFileAtomic } from './fs-atomic.js'

export const ADMIN_TOKEN_FILE = 'admin-token'
const SECRET_FILE = 'token-secret'
const ISSUER = 'weft-control'

export type Caller = { kind: 'admin' } | { kind: 'proxy'; scope: string }

export type AuthFailure = { status: 401 | 403; error: string; message: string }

export class Auth {
  readonly #adminDigest: Buffer
  readonly #secret: Uint8Array
  /** Where the admin token is, for error messages. */
  readonly adminTokenSource: string

  private constructor(adminToken: string, secret: Uint8Array, source: string) {
    this.#adminDigest = digest(adminToken)
    this.#secret = secret
    this.adminTokenSource = source
  }

  static async open(dir: string, envToken: string | undefined): Promise<Auth> {
    const tokenFile = join(dir, ADMIN_TOKEN_FILE)
    let admin: string
    let source: string
    if (envToken) {
      admin = envToken
      source = 'the WEFT_ADMIN_TOKEN the control plane was started with'
    } else {
      if (!existsSync(tokenFile)) writeFileAtomic(tokenFile, randomBytes(32).toString('base64url') + '\n', 0o600)
      admin = readFileSync(tokenFile, 'utf8').trim()
      source = tokenFile
    }
    const secretFile = join(dir, SECRET_FILE)
    if (!existsSync(secretFile)) writeFileAtomic(secretFile, randomBytes(32).toString('base64url'), 0o600)
    const secret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'base64url')
    return new Auth(admin, secret, source)
  }

  async proxyToken(scope: string): Promise<string> {
    return new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ISSUER).setSubject(scope).setIssuedAt().sign(this.#secret)
  }

  /** The caller an `Authorization` header names, or why it names none. */
  async identify(header: string | undefined): Promise<Caller | AuthFailure> {
    const how = `send "Authorization: Bearer TOKEN": the admin token is in ${this.adminTokenSource}; a proxy token comes from "weft token create --service NAME [--namespace NS]" (or --gateway NS/NAME)`
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    if (!m) return { status: 401, error: 'token missing', message: `no bearer token: ${how}` }
    const token = m[1]!
    if (timingSafeEqual(digest(token), this.#adminDigest)) return { kind: 'admin' }
    try {
      const { payload } = await jwtVerify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER })
      if (typeof payload.scope === 'string') return { kind: 'proxy', scope: payload.scope }
    } catch {
      // fall through: an invalid token is reported the same way whatever the reason
    }
    return { status: 401, error: 'token invalid', message: `the bearer token is neither the admin token nor a proxy token this control plane issued: ${how}` }
  }
}

/** Equal-length digests, so timingSafeEqual compares tokens of any length in constant time. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
