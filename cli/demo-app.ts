/**
 * @module
 * `weft demo-app` (hidden): the demo services `weft dev` runs, each as its own process
 * beside its own sidecar. An app answers JSON naming itself; with `--call NAME` it
 * first calls that mesh Service through its sidecar's outbound listener (the
 * destination in the Host header, as an app in the mesh does) and includes the answer.
 *
 * @example
 * weft demo-app --name web --release v1 --port 3000 --call api --outbound 127.0.0.1:15001
 */
import type { Command } from 'commander'
import { createServer, request } from 'node:http'

function call(outbound: string, host: string, path: string): Promise<unknown> {
  const [address, port] = [outbound.slice(0, outbound.lastIndexOf(':')), Number(outbound.slice(outbound.lastIndexOf(':') + 1))]
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => (body += d))
      res.on('end', () => {
        try { resolve(JSON.parse(body)) } catch { resolve({ status: res.statusCode, body: body.trim() }) }
      })
    })
    req.on('error', (err) => resolve({ error: err.message }))
    req.setTimeout(5000, () => req.destroy(new Error('timeout')))
    req.end()
  })
}

export function demoAppCommand(program: Command): void {
  program
    .command('demo-app', { hidden: true })
    .description('a demo service for weft dev')
    .requiredOption('--name <name>', 'service name')
    .option('--release <v>', 'version label it reports', 'v1')
    .requiredOption('--port <port>', 'port to listen on (127.0.0.1)')
    .option('--call <service>', 'mesh Service to call on every request')
    .option('--outbound <host:port>', "this instance's sidecar outbound listener")
    .action(async (o: { name: string; release: string; port: string; call?: string; outbound?: string }) => {
      const server = createServer(async (req, res) => {
        const upstream = o.call && o.outbound ? await call(o.outbound, o.call, req.url ?? '/') : undefined
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ service: o.name, version: o.release, path: req.url, ...(upstream ? { [o.call!]: upstream } : {}) }, null, 2) + '\n')
      })
      await new Promise<void>((ok) => server.listen(Number(o.port), '127.0.0.1', ok))
      await new Promise((ok) => { process.once('SIGTERM', ok); process.once('SIGINT', ok) })
      server.close()
    })
}
