/**
 * @module
 * Test certificates for the client-certificate tests, made with `openssl` in a temp
 * dir: a CA, a server certificate for 127.0.0.1 / localhost signed by it, a client
 * certificate signed by it (CN client-a), and a client certificate from another CA
 * (CN intruder), so a verifying server can be seen to accept one and refuse the other.
 *
 * @example
 * const pki = await makePki()
 * pki.ca.cert; pki.server.key; pki.client.cert; pki.intruder.cert
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface Pem {
  cert: string
  key: string
}

export interface Pki {
  ca: Pem
  server: Pem
  client: Pem
  intruder: Pem
}

export async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-bun-pki-'))
  const p = (name: string) => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const selfSigned = (name: string, cn: string) =>
    run('openssl', ['req', '-x509', ...ec, '-days', '2', '-subj', `/CN=${cn}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'])
  const signed = async (name: string, cn: string, ca: string, ext: string) => {
    await run('openssl', ['req', '-new', ...ec, '-subj', `/CN=${cn}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`)])
    await writeFile(p(`${name}.ext`), ext)
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-days', '2', '-out', p(`${name}.crt`), '-extfile', p(`${name}.ext`)])
  }
  try {
    await selfSigned('ca', 'weft test CA')
    await selfSigned('other-ca', 'other CA')
    await signed('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
    await signed('client', 'client-a', 'ca', 'extendedKeyUsage=clientAuth\n')
    await signed('intruder', 'intruder', 'other-ca', 'extendedKeyUsage=clientAuth\n')
    const pem = async (name: string): Promise<Pem> => ({ cert: await readFile(p(`${name}.crt`), 'utf8'), key: await readFile(p(`${name}.key`), 'utf8') })
    return { ca: await pem('ca'), server: await pem('server'), client: await pem('client'), intruder: await pem('intruder') }
  } catch (err) {
    throw new Error(`openssl could not make the test certificates (is openssl installed?): ${(err as { stderr?: string }).stderr || (err as Error).message}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
