/**
 * @module
 * A sidecar instance's registration with the control plane (`PUT/DELETE
 * /v1/proxies/{scope}/instances/{id}`, body `{address, port, leaseSeconds}`): register
 * on start, renew at a third of the lease while running (retrying sooner after a
 * failure), deregister on stop. While registered the instance is an endpoint of its
 * Service in every peer's bundle; a lapsed lease (a crash) drops it.
 *
 * @example
 * const reg = registration({ controlUrl, scope: 'sidecar.default.api', instance: 'api-1', address: '127.0.0.1', port: 15006, leaseSeconds: 15, token, log })
 * await reg.start()
 * await reg.stop() // deregisters
 */
export interface RegistrationOptions {
  controlUrl: string
  scope: string
  instance: string
  address: string
  port: number
  leaseSeconds: number
  token?: string | undefined
  log: (msg: string) => void
  fetch?: typeof fetch
}

export function registration(opts: RegistrationOptions) {
  const f = opts.fetch ?? fetch
  const url = new URL(`/v1/proxies/${encodeURIComponent(opts.scope)}/instances/${encodeURIComponent(opts.instance)}`, opts.controlUrl).toString()
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.token && { authorization: `Bearer ${opts.token}` }) }
  const body = JSON.stringify({ address: opts.address, port: opts.port, leaseSeconds: opts.leaseSeconds })
  const every = Math.max(250, (opts.leaseSeconds * 1000) / 3)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let registered = false
  let failing = false
  let renewals = 0
  let failures = 0

  const put = async (): Promise<boolean> => {
    try {
      const res = await f(url, { method: 'PUT', headers, body, signal: AbortSignal.timeout(5000) })
      const text = await res.text()
      if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 300)}`)
      if (!registered || failing) opts.log(`registered instance ${opts.instance} of ${opts.scope} at ${opts.address}:${opts.port} (lease ${opts.leaseSeconds} s)`)
      registered = true
      failing = false
      renewals++
      return true
    } catch (err) {
      failures++
      if (!failing) opts.log(`cannot register instance ${opts.instance} with ${opts.controlUrl}: ${(err as Error).message}; retrying`)
      failing = true
      return false
    }
  }

  const schedule = (ms: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      void put().then((ok) => schedule(ok ? every : Math.min(every, 1000)))
    }, ms)
    timer.unref()
  }

  return {
    get registered() {
      return registered && !failing
    },
    stats: () => ({ instance: opts.instance, address: `${opts.address}:${opts.port}`, leaseSeconds: opts.leaseSeconds, registered: registered && !failing, renewals, failures }),
    /** Register once (a failure is logged and retried in the background), then keep renewing. */
    async start(): Promise<void> {
      const ok = await put()
      schedule(ok ? every : 1000)
    },
    /** Stop renewing and deregister (bounded by `ms`). */
    async stop(ms = 3000): Promise<void> {
      stopped = true
      clearTimeout(timer)
      try {
        const res = await f(url, { method: 'DELETE', headers, signal: AbortSignal.timeout(ms) })
        await res.text()
        if (res.ok) opts.log(`deregistered instance ${opts.instance} of ${opts.scope}`)
        else if (res.status !== 404) opts.log(`deregistering instance ${opts.instance}: ${res.status}`)
      } catch (err) {
        opts.log(`cannot deregister instance ${opts.instance}: ${(err as Error).message} (its lease lapses within ${opts.leaseSeconds} s)`)
      }
    },
  }
}
