/**
 * @module
 * The core `v1` kinds a Gateway API user already writes: `Namespace` (its labels
 * feed `allowedRoutes` selectors) and `Secret` (an HTTPS listener's certificate
 * and key). Secret `data` is base64 as in Kubernetes and is decoded here, then
 * `stringData` is laid over it (it wins, as in the API server). Values must be
 * UTF-8 text: Weft reads PEM, and a binary value could not be represented.
 *
 * @example
 * secretSchema.parse({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert' },
 *   type: 'kubernetes.io/tls', stringData: { 'tls.crt': pem, 'tls.key': key } }).data['tls.crt'] // pem
 */
import * as z from 'zod'
import type { Namespace, Secret } from './types.js'
import { dnsLabel, dnsSubdomain } from './schema-common.js'
import { describeValue } from './messages.js'
import { clusterMetadata, namespacedMetadata } from './schema-metadata.js'

export const namespaceSchema = z
  .object({ apiVersion: z.string(), kind: z.literal('Namespace'), metadata: clusterMetadata(dnsLabel) })
  .transform((n): Namespace => n)

const KEY = /^[-._a-zA-Z0-9]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Decoded text, or the reason it cannot be decoded. */
function decodeBase64(value: string): { text: string } | { problem: string } {
  let binary: string
  try {
    binary = atob(value)
  } catch {
    return { problem: 'is not valid base64; put plain text under stringData instead, or encode it with `base64 -w0`' }
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  try {
    return { text: utf8.decode(bytes) }
  } catch {
    return { problem: 'does not decode to UTF-8 text; Weft reads Secret values as text (PEM)' }
  }
}

// Keys and values are checked in one pass so that a bad value does not hide a bad key.
const secretMap = z
  .record(z.string(), z.unknown())
  .superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      if (key.length > 253 || !KEY.test(key))
        ctx.addIssue({ code: 'custom', path: [key], message: 'is not a valid key: use letters, digits, "-", "_" and "." only', input: key })
      if (typeof value !== 'string') {
        const quote = typeof value === 'number' || typeof value === 'boolean' ? `; quote it: "${String(value)}"` : ''
        ctx.addIssue({ code: 'custom', path: [key], message: `must be a string, not ${describeValue(value)}${quote}`, input: value })
      }
    }
  })
  .transform((map) => map as Record<string, string>)

export const secretSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.literal('Secret'),
    metadata: namespacedMetadata(dnsSubdomain),
    type: z.string().default('Opaque'),
    data: secretMap.default(() => ({})),
    stringData: secretMap.default(() => ({})),
  })
  .transform((s, ctx): Secret => {
    const data: Record<string, string> = {}
    for (const [key, value] of Object.entries(s.data)) {
      const decoded = decodeBase64(value)
      if ('text' in decoded) data[key] = decoded.text
      else ctx.issues.push({ code: 'custom', path: ['data', key], message: decoded.problem, input: value })
    }
    Object.assign(data, s.stringData)
    if (s.type === 'kubernetes.io/tls')
      for (const key of ['tls.crt', 'tls.key'])
        // A key that is present but failed to decode already has its own issue.
        if (!(key in s.data) && !(key in s.stringData))
          ctx.issues.push({ code: 'custom', path: ['data'], message: `needs "${key}" for type kubernetes.io/tls (in data as base64, or in stringData as PEM text)`, input: s })
    return { apiVersion: s.apiVersion, kind: s.kind, metadata: s.metadata, type: s.type, data }
  })
