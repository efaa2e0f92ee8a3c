// (c) node http-proxy (the long-standing Node reverse proxy) with a keep-alive agent.
import http from 'node:http'
import httpProxy from 'http-proxy'
import { options, ready, fail } from './common.mjs'

const { port, upstream } = options()
const agent = new http.Agent({ keepAlive: true })
const proxy = httpProxy.createProxyServer({ target: upstream.origin, agent, xfwd: false })
proxy.on('error', (err, _req, res) => fail(res, err))
ready(http.createServer((req, res) => proxy.web(req, res)), port)
