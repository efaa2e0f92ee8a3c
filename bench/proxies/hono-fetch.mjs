// (g) hono on @hono/node-server, forwarding with fetch through hono's proxy helper:
// Web Request/Response objects built per hop, the way a portable Web-API proxy runs on Node.
import { Hono } from 'hono'
import { proxy } from 'hono/proxy'
import { serve } from '@hono/node-server'
import { options } from './common.mjs'

const { port, upstream } = options()
const app = new Hono()
app.all('*', (c) => {
  const url = new URL(c.req.url)
  // node:http already answered `Expect: 100-continue`; fetch refuses to send it.
  if (c.req.raw.headers.has('expect')) c.req.raw.headers.delete('expect')
  return proxy(`${upstream.origin}${url.pathname}${url.search}`, c.req.raw)
})
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`ready ${port}`))
server.keepAliveTimeout = 65_000
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
