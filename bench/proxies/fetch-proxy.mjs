// Baseline for Bun and Deno: the runtime's own server (Bun.serve / Deno.serve) forwarding
// with the runtime's own fetch (keep-alive pool of the runtime), Web Request/Response
// objects, bodies streamed both ways. What a hand-written proxy on that runtime costs,
// to compare `weft gateway --runtime bun|deno` with.
//   bun run bench/proxies/fetch-proxy.mjs --port PORT --upstream HOST:PORT
//   deno run --allow-net bench/proxies/fetch-proxy.mjs --port PORT --upstream HOST:PORT
const arg = (name) => {
  const args = globalThis.Bun ? Bun.argv : Deno.args
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const port = Number(arg('port'))
const upstream = arg('upstream')
if (!port || !upstream) throw new Error('usage: fetch-proxy.mjs --port PORT --upstream HOST:PORT')

// RFC 9110 §7.6.1 hop-by-hop headers, plus host (fetch sets it from the URL).
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

function strip(headers, extra) {
  const out = new Headers(headers)
  const named = headers.get('connection')
  for (const h of HOP) out.delete(h)
  if (named) for (const h of named.split(',')) out.delete(h.trim())
  if (extra) out.delete(extra)
  return out
}

async function handler(req) {
  const url = new URL(req.url)
  try {
    const res = await fetch(`http://${upstream}${url.pathname}${url.search}`, {
      method: req.method, headers: strip(req.headers, 'host'), body: req.body, redirect: 'manual', duplex: 'half',
    })
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: strip(res.headers) })
  } catch (err) {
    return new Response(`bad gateway: ${err?.message ?? err}\n`, { status: 502 })
  }
}

if (globalThis.Bun) {
  Bun.serve({ port, hostname: '127.0.0.1', fetch: handler })
  console.log(`ready ${port}`)
} else {
  Deno.serve({ port, hostname: '127.0.0.1', onListen: () => console.log(`ready ${port}`) }, handler)
}

// Exit (not die) on SIGTERM/SIGINT, so a runtime started with --cpu-prof writes its profile (bench/profile.mjs).
if (globalThis.Bun) for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
else for (const sig of ['SIGTERM', 'SIGINT']) Deno.addSignalListener(sig, () => Deno.exit(0))
