// nginx as the benchmark runs it: one process (no master), its files in a temp dir.
// Used twice: the upstream every candidate forwards to (`return 200` with a 20-byte
// body, pinned to the load core) and the nginx candidate (a reverse proxy, pinned to
// the proxy core, in candidates.mjs).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOAD_CORE } from './load.mjs'
import { BODY, freePort, probe } from './net.mjs'
import { start, tmpDir } from './procs.mjs'

/**
 * Start nginx on a free port of 127.0.0.1 pinned to `core`; `http(port)` gives the
 * lines of the `http {}` block after the common ones (the server and what it needs).
 */
export async function startNginx({ name, what, core, http }) {
  const port = await freePort()
  const dir = tmpDir(`weft-bench-${name.replace(/\W+/g, '-')}-`)
  mkdirSync(join(dir, 'logs'))
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, `# written by bench/run.mjs: ${what}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 65s;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join('\n  ')}
${http(port)}
}
`)
  const proc = start(name, 'taskset', ['-c', core, 'nginx', '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf])
  await probe(name, proc, port)
  return { proc, port }
}

export function startUpstream() {
  return startNginx({
    name: 'nginx upstream',
    what: 'the upstream, one nginx process (no master), return 200.',
    core: LOAD_CORE,
    http: (port) => `  default_type text/plain;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${BODY.replace('\n', '\\n')}"; }
  }`,
  })
}
