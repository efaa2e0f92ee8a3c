/**
 * @module
 * What the admin commands (`weft apply`, `delete`, `token`, `status`) share: the
 * `--control`/`--token`/`--data` flags with their environment fallbacks, one request
 * to the Control API, and the exit status for each outcome (0 ok, 1 rejected,
 * 2 usage or connection error).
 *
 * @example
 * const res = await controlRequest(opts, 'GET', '/v1/proxies')
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { UsageError } from './host-port.js'

export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:7070'

/** A command's outcome other than success: the message is printed, the code is the exit status. */
export class CommandExit extends Error {
  override name = 'CommandExit'
  constructor(message: string, readonly exitCode: 1 | 2) {
    super(message)
  }
}

export interface ControlFlags {
  control?: string
  token?: string
  data?: string
}

export function addControlFlags(cmd: Command): Command {
  return cmd
    .option('--control <url>', `control plane URL (env WEFT_CONTROL_URL; default ${DEFAULT_CONTROL_URL})`)
    .option('--token <token>', 'admin token (env WEFT_ADMIN_TOKEN; else read from --data DIR/admin-token)')
    .option('--data <dir>', "the control plane's data directory, to read its admin-token file when no token is given")
}

export function controlUrl(o: ControlFlags): string {
  const url = o.control || process.env.WEFT_CONTROL_URL || DEFAULT_CONTROL_URL
  try {
    return new URL(url).toString().replace(/\/$/, '')
  } catch {
    throw new UsageError(`--control ${url}: expected a URL, e.g. ${DEFAULT_CONTROL_URL}`)
  }
}

export function adminToken(o: ControlFlags): string {
  if (o.token) return o.token
  if (process.env.WEFT_ADMIN_TOKEN) return process.env.WEFT_ADMIN_TOKEN
  if (o.data) {
    const file = join(o.data, 'admin-token')
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (err) {
      throw new UsageError(`--data ${o.data}: cannot read the admin token from ${file}: ${(err as Error).message}`)
    }
  }
  throw new UsageError('no admin token: pass --token TOKEN, set WEFT_ADMIN_TOKEN, or pass --data DIR of the control plane (its DIR/admin-token is read)')
}

export interface ControlResponse {
  status: number
  body: Record<string, unknown>
}

/** One Control API call with the admin token; a connection failure or an auth refusal exits 2. */
export async function controlRequest(o: ControlFlags, method: string, path: string, body?: unknown): Promise<ControlResponse> {
  const url = controlUrl(o) + path
  const token = adminToken(o)
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    })
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message
    throw new CommandExit(`cannot reach the control plane at ${controlUrl(o)}: ${cause ?? (err as Error).message} (set --control or WEFT_CONTROL_URL)`, 2)
  }
  const text = await res.text()
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new CommandExit(`${method} ${url}: HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, 2)
  }
  if (res.status === 401 || res.status === 403) throw new CommandExit(`${method} ${url}: HTTP ${res.status} ${String(parsed.error)}: ${String(parsed.message)}`, 2)
  if (res.status >= 500) throw new CommandExit(`${method} ${url}: HTTP ${res.status}: ${String(parsed.message ?? text)}`, 2)
  return { status: res.status, body: parsed }
}
