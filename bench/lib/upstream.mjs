// The upstream every candidate forwards to: one nginx process (no master) answering
// `return 200` with a 20-byte body, pinned to the load core.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOAD_CORE } from './load.mjs'
import { BODY, freePort, probe } from './net.mjs'
import { start, tmpDir } from './procs.mjs'

export async function startUpstream() {
  const port = await freePort()
  const dir = tmpDir('weft-bench-upstream-')
  mkdirSync(join(dir, 'logs'))
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, `# written by bench/run.mjs: the upstream, one nginx process (no master), return 200.
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 65s;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join('\n  ')}
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${BODY.replace('\n', '\\n')}"; }
  }
}
`)
  const proc = start('nginx upstream', 'taskset', ['-c', LOAD_CORE, 'nginx', '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf])
  await probe('nginx upstream', proc, port)
  return { proc, port }
}
