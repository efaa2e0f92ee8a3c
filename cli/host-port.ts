/**
 * @module
 * Parse `HOST:PORT` flags (`--admin 127.0.0.1:15000`, `[::1]:80`), with an error that
 * names the flag.
 *
 * @example
 * parseHostPort('127.0.0.1:15000', '--admin') // { address: '127.0.0.1', port: 15000 }
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function parseHostPort(value: string, flag: string): { address: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value)
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`${flag} ${value}: expected HOST:PORT, e.g. 127.0.0.1:15000`)
  return { address: m[1] ?? (m[2] || '0.0.0.0'), port }
}
