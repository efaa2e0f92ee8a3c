/**
 * @module
 * Real `weft gateway` processes for the conformance suites: start one per Gateway
 * (`--config FILE --gateway NS/NAME --address 127.0.0.N --admin 127.0.0.1:PORT`), wait
 * for `/ready`, read the config version from `/config`, and stop them by PID (SIGTERM,
 * then SIGKILL to the process group after a bound). Any process still running when the test worker exits is
 * killed by PID too.
 *
 * @example
 * const gw = await startGateway({ configFile, gateway: 'gateway-conformance-infra/same-namespace', address: '127.0.0.1' })
 * await gw.waitForVersionAbove(before)
 * await gw.stop()
 */
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { kill, spawnGroup, untrack } from './processes.js'

/** The `weft` CLI under test; `WEFT_BIN` points the harness at another build. */
export const WEFT_BIN = process.env.WEFT_BIN || fileURLToPath(new URL('../../bin/weft.js', import.meta.url))

/** The runtime the gateways under test run on (`--runtime`): `WEFT_TEST_RUNTIME`, default node. */
export const TEST_RUNTIME = process.env.WEFT_TEST_RUNTIME || 'node'


export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer()
  await new Promise<void>((ok, fail) => s.once('error', fail).listen(0, host, ok))
  const port = (s.address() as AddressInfo).port
  await new Promise((ok) => s.close(ok))
  return port
}

export interface GatewayProcess {
  gateway: string
  address: string
  adminPort: number
  pid: number
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** The command line, for failure messages. */
  command: string
  /** How the process ended (`code 1`, `signal SIGKILL`), or undefined while it runs. */
  exitStatus(): string | undefined
  /** Wait up to `ms` for the process to exit (after a refused or reset connection, to report a crash as one). */
  waitForExit(ms: number): Promise<void>
  configVersion(): Promise<number>
  /** Poll `/config` until its version is above `version`; throws with the gateway's output after `timeoutMs`. */
  waitForVersionAbove(version: number, timeoutMs?: number): Promise<number>
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n')
  return (all.length > lines ? [`… (${all.length - lines} earlier lines)`, ...all.slice(-lines)] : all).join('\n')
}

export async function startGateway(opts: { configFile: string; gateway: string; address: string; readyTimeoutMs?: number }): Promise<GatewayProcess> {
  const adminPort = await freePort()
  const args = [WEFT_BIN, 'gateway', '--config', opts.configFile, '--gateway', opts.gateway, '--address', opts.address, '--admin', `127.0.0.1:${adminPort}`, '--runtime', TEST_RUNTIME]
  const command = `node ${args.join(' ')}`
  // Its own process group: with --runtime bun|deno, SIGKILL reaches the re-executed child too.
  const proc = spawnGroup(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const spawned = new Promise<void>((ok, fail) => proc.once('spawn', ok).once('error', fail))
  await spawned
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()))
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(2000) })

  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      kill(proc, 'SIGKILL') // a re-executed child left behind by a crashed parent
      return void untrack(proc)
    }
    kill(proc, 'SIGTERM')
    const killed = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])
    if (!killed && proc.exitCode === null && proc.signalCode === null) {
      kill(proc, 'SIGKILL')
      await exited
    }
    untrack(proc)
  }

  const describe = () => `\`${command}\``
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000)
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      kill(proc, 'SIGKILL')
      untrack(proc)
      throw new Error(`weft gateway for ${opts.gateway} exited (${proc.exitCode ?? proc.signalCode}) before it was ready.\ncommand: ${describe()}\noutput:\n${tail(out)}`)
    }
    const status = await admin('/ready').then((r) => (r.body?.cancel(), r.status), () => 0)
    if (status === 200) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`weft gateway for ${opts.gateway} was not ready within ${opts.readyTimeoutMs ?? 15_000} ms (GET /ready on 127.0.0.1:${adminPort}: ${status || 'no answer'}).\ncommand: ${describe()}\noutput:\n${tail(out)}`)
    }
    await sleep(25)
  }

  const configVersion = async () => {
    const res = await admin('/config')
    const text = await res.text()
    let version: unknown
    try {
      version = (JSON.parse(text) as { version?: unknown }).version
    } catch {
      version = undefined
    }
    if (res.status !== 200 || typeof version !== 'number') {
      throw new Error(`GET /config on the ${opts.gateway} gateway: expected 200 with JSON {"version": <number>}, got ${res.status}: ${text.slice(0, 300)}`)
    }
    return version
  }

  return {
    gateway: opts.gateway,
    address: opts.address,
    adminPort,
    pid: proc.pid!,
    command,
    output: () => out,
    waitForExit: async (ms) => void (await Promise.race([exited, sleep(ms)])),
    exitStatus: () => (proc.exitCode !== null ? `code ${proc.exitCode}` : proc.signalCode !== null ? `signal ${proc.signalCode}` : undefined),
    configVersion,
    async waitForVersionAbove(version, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const v = await configVersion().catch(() => -1)
        if (v > version) return v
        if (Date.now() > until) {
          throw new Error(`the ${opts.gateway} gateway did not load the rewritten config within ${timeoutMs} ms (/config version still ${v}, was ${version}).\noutput:\n${tail(out)}`)
        }
        await sleep(25)
      }
    },
    stop,
  }
}
