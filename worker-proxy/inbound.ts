/**
 * @module
 * The sidecar's inbound side: every request that peers' sidecars send to this
 * instance goes to the local app at `--app` over pooled HTTP/1.1 keep-alive
 * connections, through the same stages the gateway runs (telemetry, rescue,
 * forwarding headers: hop-by-hop stripped, X-Forwarded-* added).
 *
 * @example
 * const handler = inboundHandler(appEndpoint('http://127.0.0.1:3000'), { upstream, metrics, log })
 */
import { compose } from '../core/pipeline/compose.js'
import type { Handler, MatchedRoute } from '../core/pipeline/stage.js'
import type { SnapshotDeps } from '../core/snapshot/gateway-snapshot.js'
import { forwardingHeaders } from '../core/stages/forwarding-headers.js'
import { rescue } from '../core/stages/rescue.js'
import { telemetry } from '../core/stages/telemetry.js'
import type { Endpoint } from '../core/upstream/upstream.js'

/** The app's endpoint from `--app` (`http://HOST:PORT`, or `HOST:PORT`); throws on anything else. */
export function appEndpoint(app: string): Endpoint {
  let u: URL
  try {
    u = new URL(/^[a-z]+:\/\//i.test(app) ? app : `http://${app}`)
  } catch {
    throw new Error(`--app ${app}: expected the local app's URL, e.g. http://127.0.0.1:3000`)
  }
  if (u.protocol !== 'http:') throw new Error(`--app ${app}: only plain http:// apps are supported`)
  if (u.pathname !== '/' || u.search) throw new Error(`--app ${app}: give only scheme, host and port (no path)`)
  const address = u.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = u.port === '' ? 80 : Number(u.port)
  return { address, port, key: `${address.includes(':') ? `[${address}]` : address}:${port}` }
}

/** Inbound requests in `weft_requests_total` / `weft_request_duration_seconds`: route `(inbound)`, backend `app`. */
const INBOUND: MatchedRoute = { route: '', rule: -1, label: '(inbound)' }

export function inboundHandler(app: Endpoint, deps: SnapshotDeps): Handler {
  const toApp: Handler = (req, ctx) => {
    ctx.route = INBOUND
    ctx.backend = 'app'
    return deps.upstream.send(app, req, ctx.signal)
  }
  return compose([telemetry(deps.metrics), rescue(deps.log), forwardingHeaders()])(toApp)
}
