/**
 * @module
 * The client side of the node:http2 crash reproduction (docs/runtimes/deno.md), run under Deno too (a Deno client
 * made the crash come at the first session in every run; a Node client in most):
 * `sessions` HTTP/2 sessions to 127.0.0.1:port, each uploading `mb` MiB in one
 * stream, closed when answered. Configured by WEFT_PROBE (JSON: { port, mb, sessions });
 * prints `{"results":[...]}` (the answer, or the error code, per session) and exits.
 */
import { connect } from 'node:http2'

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { port: number; mb: number; sessions: number }
const chunk = new Uint8Array(64 * 1024).fill(7)
const results: string[] = []
for (let i = 0; i < cfg.sessions; i++) {
  results.push(
    await new Promise<string>((resolve) => {
      const s = connect(`https://127.0.0.1:${cfg.port}`, { rejectUnauthorized: false })
      s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`))
      const req = s.request({ ':method': 'POST', ':path': '/' })
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`))
      let body = ''
      req.setEncoding('utf8').on('data', (d: string) => (body += d))
      req.on('end', () => {
        s.close()
        resolve(body)
      })
      void (async () => {
        for (let n = 0; n < cfg.mb * 16; n++) if (!req.write(chunk)) await new Promise((ok) => req.once('drain', ok))
        req.end()
      })()
    }),
  )
  await new Promise((ok) => setTimeout(ok, 200))
}
console.log(JSON.stringify({ results }))
process.exit(0)
