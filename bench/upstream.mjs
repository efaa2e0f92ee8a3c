// The node:http upstream (used with --upstream node; the default upstream is nginx):
// 200 with a small fixed body, keep-alive. Usage: node upstream.mjs --port PORT
import http from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { port: { type: 'string' } } })
const body = Buffer.from('hello from upstream\n')
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 65_000
server.listen(Number(values.port), '127.0.0.1', () => console.log(`ready ${values.port}`))
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
