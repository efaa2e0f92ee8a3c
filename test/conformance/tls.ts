/**
 * @module
 * A self-signed certificate for the conformance HTTPS listeners (upstream's Secret
 * `gateway-conformance-infra/tls-validity-checks-certificate`), generated once per run
 * with `openssl` into a temp dir. Its SANs are every hostname the https cases use (SNI,
 * Host, listener hostnames), so a client could verify it by name; the harness verifies
 * the chain against it (the gateway must present this certificate) but not the name,
 * because some cases deliberately send an SNI no listener has.
 *
 * @example
 * const tls = await selfSignedCertificate(['example.org', '*.wildcard.org'])
 * tls.certPem; tls.keyPem
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TlsMaterial {
  certPem: string
  keyPem: string
  dnsNames: string[]
}

export async function selfSignedCertificate(dnsNames: string[]): Promise<TlsMaterial> {
  const names = [...new Set(dnsNames.map((n) => n.toLowerCase()))].sort()
  const dir = await mkdtemp(join(tmpdir(), 'weft-conformance-tls-'))
  try {
    const cert = join(dir, 'tls.crt')
    const key = join(dir, 'tls.key')
    await run('openssl', [
      'req', '-x509', '-nodes', '-days', '2',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', key, '-out', cert,
      '-subj', `/CN=${names[0] ?? 'example.org'}`,
      '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ]).catch((err: Error & { stderr?: string }) => {
      throw new Error(`openssl could not generate the conformance TLS certificate (is openssl installed?): ${err.stderr || err.message}`)
    })
    return { certPem: await readFile(cert, 'utf8'), keyPem: await readFile(key, 'utf8'), dnsNames: names }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
