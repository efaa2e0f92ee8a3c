/**
 * @module
 * The config file one conformance suite runs on: the environment's Namespaces (their
 * labels feed `allowedRoutes` selectors), the TLS Secret, a `weft.dev/v1alpha1` Service
 * per environment backend pointing at its echo server, then the suite's Gateways,
 * HTTPRoutes and ReferenceGrants verbatim (only `{GATEWAY_CLASS_NAME}` filled in).
 *
 * Services keep the environment's port numbers and names but no `targetPort`: a call
 * to any Service port goes to the endpoint's own port, 127.0.0.1:<echo port>. The
 * environment's `appProtocol`s (h2c, ws) are left out: the echo servers speak plain
 * HTTP/1.1, and only the skipped h2c/websocket suites use those ports.
 *
 * @example
 * const docs = suiteResources(suite, env, echo.ports, tls)
 * await writeConfig(file, docs)
 */
import { rename, writeFile } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import { stringify } from 'yaml'
import type { Environment, Precondition, Resource, Suite } from './cases.js'
import type { TlsMaterial } from './tls.js'

export const GATEWAY_CLASS_NAME = 'weft'
export const TLS_SECRET = { namespace: 'gateway-conformance-infra', name: 'tls-validity-checks-certificate' }

/** Deep copy with every `{GATEWAY_CLASS_NAME}` placeholder filled in. */
function fill<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('{GATEWAY_CLASS_NAME}', GATEWAY_CLASS_NAME)) as T
}

export function environmentResources(env: Environment, echoPorts: Map<string, number>, tls: TlsMaterial): Resource[] {
  const namespaces: Resource[] = Object.entries(env.namespaces).map(([name, ns]) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...ns.labels } },
  }))
  const secret: Resource = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { ...TLS_SECRET },
    data: {
      'tls.crt': Buffer.from(tls.certPem).toString('base64'),
      'tls.key': Buffer.from(tls.keyPem).toString('base64'),
    },
  }
  const services: Resource[] = Object.entries(env.services).map(([key, ports]) => {
    const [namespace, name] = key.split('/') as [string, string]
    const echoPort = echoPorts.get(key)
    if (echoPort === undefined) throw new Error(`no echo backend started for Service ${key}`)
    return {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: {
        ports: ports.map((p) => (p.name ? { name: p.name, port: p.port } : { port: p.port })),
        endpoints: [{ address: '127.0.0.1', port: echoPort }],
      },
    }
  })
  return [...namespaces, secret, ...services]
}

/** Every resource of the suite's config, minus those the preconditions so far deleted. */
export function suiteResources(
  suite: Suite,
  env: Environment,
  echoPorts: Map<string, number>,
  tls: TlsMaterial,
  deleted: NonNullable<Precondition['delete']>[] = [],
): Resource[] {
  const gone = (r: Resource) =>
    deleted.some((d) => d.kind === r.kind && d.name === r.metadata.name && d.namespace === (r.metadata.namespace ?? 'default'))
  const own = fill([...suite.gateways, ...suite.routes, ...(suite.referenceGrants ?? [])])
  return [...environmentResources(env, echoPorts, tls), ...own].filter((r) => !gone(r))
}

/** Multi-document YAML, the way operators write it. */
export function toYaml(docs: Resource[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
}

/** Replace `file` atomically (temp file + rename), so a watcher never reads half a file. */
export async function writeConfig(file: string, docs: Resource[]): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  await writeFile(tmp, toYaml(docs))
  await rename(tmp, file)
}
