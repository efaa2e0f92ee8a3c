/**
 * @module
 * undici's `Pool` and `util.parseHeaders`, loaded from their own modules instead of
 * the package index. The index loads all of undici (fetch, WebSocket, cache,
 * interceptors, mock agents): 20 MB more RSS at start than these two files and their
 * dependencies (measured on Node 20: 59 MB vs 50 MB for a bare import), and the
 * data path uses nothing else. Types come from the package's own declarations.
 *
 * @example
 * const pool = new Pool('http://127.0.0.1:3000', { connections: 16 })
 */
import { createRequire } from 'node:module'
import type { Pool as PoolType, util as utilType } from 'undici'

const require = createRequire(import.meta.url)

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof PoolType
export type Pool = PoolType
export type PoolOptions = PoolType.Options
export const parseHeaders = (require('undici/lib/core/util.js') as typeof utilType).parseHeaders

/** `Dispatcher.request` (the index adds it to every dispatcher's prototype; this module alone does not). */
export const request = require('undici/lib/api/api-request.js') as (this: PoolType, opts: Parameters<PoolType['request']>[0]) => ReturnType<PoolType['request']>
