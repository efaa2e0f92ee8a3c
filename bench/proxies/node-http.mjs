// (f) node:http in, node:http.request out through a keep-alive Agent, bodies piped both ways.
import http from 'node:http'
import { options, ready, endToEnd, requestHeaders, fail } from './common.mjs'

const { port, upstream } = options()
const agent = new http.Agent({ keepAlive: true })

ready(http.createServer((req, res) => {
  const out = http.request({ host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: requestHeaders(req.headers), agent }, (up) => {
    res.writeHead(up.statusCode, endToEnd(up.headers))
    up.pipe(res)
  })
  out.on('error', (err) => fail(res, err))
  req.pipe(out)
}), port)
