/**
 * @module
 * Typed errors, after jose's: every error has a stable `code` a user can grep for
 * (it is sent in the `x-weft-error` header), `name` set to the class name, and an
 * optional `cause`. Stages throw these; one place (the rescue stage) maps codes to
 * HTTP statuses.
 *
 * @example
 * throw new NoRoute('GET', 'example.com', '/missing')
 */

export type WeftErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_NO_ROUTE'
  | 'ERR_MISDIRECTED_REQUEST'
  | 'ERR_BACKEND_UNRESOLVED'
  | 'ERR_NO_HEALTHY_UPSTREAM'
  | 'ERR_UPSTREAM_CONNECT'
  | 'ERR_UPSTREAM_RESET'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_INTERNAL'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_BUNDLE_SIGNATURE'
  | 'ERR_BUNDLE_KEY'
  | 'ERR_BUNDLE_SCOPE'
  | 'ERR_BUNDLE_EXPIRED'
  | 'ERR_BUNDLE_ROLLBACK'
  | 'ERR_BUNDLE_SCHEMA'
  | 'ERR_BUNDLE_TOO_LARGE'
  | 'ERR_BUNDLE_FETCH'

export abstract class WeftError extends Error {
  abstract readonly code: WeftErrorCode
  /** HTTP status a request failing with this error is answered with. */
  abstract readonly status: number
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The request itself is malformed (bad Host, bad percent-encoding, bad request line). */
export class BadRequest extends WeftError {
  readonly code = 'ERR_BAD_REQUEST'
  readonly status = 400
}

/** No listener or route rule matches the request. */
export class NoRoute extends WeftError {
  readonly code = 'ERR_NO_ROUTE'
  readonly status = 404
  constructor(method: string, host: string, path: string) {
    super(`no route matches ${method} ${host || '(no host)'}${path}`)
  }
}

/** TLS SNI and Host select different listeners (RFC 9110 421). */
export class MisdirectedRequest extends WeftError {
  readonly code = 'ERR_MISDIRECTED_REQUEST'
  readonly status = 421
  constructor(sni: string, host: string) {
    super(`host ${host} is not served on the TLS connection opened for ${sni}; open a new connection for it`)
  }
}

/** The matched rule points at a backend that does not resolve (missing Service, unknown kind, no ReferenceGrant). */
export class BackendUnresolved extends WeftError {
  readonly code = 'ERR_BACKEND_UNRESOLVED'
  readonly status = 500
}

/** The chosen Service has no endpoint to send to. */
export class NoHealthyUpstream extends WeftError {
  readonly code = 'ERR_NO_HEALTHY_UPSTREAM'
  readonly status = 503
  constructor(service: string) {
    super(`service ${service} has no healthy endpoint`)
  }
}

/** The upstream could not be connected to. */
export class UpstreamConnect extends WeftError {
  readonly code = 'ERR_UPSTREAM_CONNECT'
  readonly status = 502
  constructor(endpoint: string, options?: { cause?: unknown }) {
    super(`could not connect to upstream ${endpoint}`, options)
  }
}

/** The upstream closed the connection or sent something that is not HTTP. */
export class UpstreamReset extends WeftError {
  readonly code = 'ERR_UPSTREAM_RESET'
  readonly status = 502
  constructor(endpoint: string, options?: { cause?: unknown }) {
    super(`upstream ${endpoint} reset the connection or sent an invalid response`, options)
  }
}

/** The route's request or backendRequest timeout expired before the upstream answered. */
export class UpstreamTimeout extends WeftError {
  readonly code = 'ERR_UPSTREAM_TIMEOUT'
  readonly status = 504
  constructor(ms: number, which: 'request' | 'backendRequest', options?: { cause?: unknown }) {
    super(`upstream did not answer within the ${which} timeout of ${ms}ms`, options)
  }
}

/** A bug: anything not thrown as a WeftError ends up here. */
export class InternalError extends WeftError {
  readonly code = 'ERR_INTERNAL'
  readonly status = 500
}

export type AnyWeftError =
  | BadRequest
  | NoRoute
  | MisdirectedRequest
  | BackendUnresolved
  | NoHealthyUpstream
  | UpstreamConnect
  | UpstreamReset
  | UpstreamTimeout
  | InternalError
