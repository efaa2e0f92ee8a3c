#!/usr/bin/env node
// `npm test` after the build: run `vitest run` inside a private network namespace, so the
// Gateway API conformance test can bind the manifests' own ports (80, 443, 8080) on
// 127.0.0.x without touching the host's network. As root: `unshare --net`; otherwise
// an unprivileged user namespace (`unshare -rn`). Inside, loopback is brought up and
// vitest runs with any extra arguments passed through (`npm test -- core/`). The exit
// code is vitest's.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const INSIDE = '--inside-netns'
const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(import.meta.url)
const vitest = fileURLToPath(new URL('../node_modules/.bin/vitest', import.meta.url))

/** Run `cmd`, forward SIGINT/SIGTERM to it, and exit the way it exited. */
function runAndExit(cmd, args, env) {
  const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, env })
  const forward = (sig) => child.kill(sig)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  child.on('error', (err) => {
    console.error(`npm test: cannot start ${cmd}: ${err.message}`)
    process.exit(2)
  })
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}

if (process.argv[2] === INSIDE) {
  // In the new network namespace: only `lo` exists, and it is down.
  const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' })
  if (up.status !== 0) {
    const why = up.error ? up.error.message : (up.stderr || '').trim()
    console.error(`npm test: cannot bring up loopback in the private network namespace (ip link set lo up): ${why}`)
    console.error('Install iproute2 (apt-get install iproute2) and run npm test again.')
    process.exit(2)
  }
  runAndExit(vitest, ['run', ...process.argv.slice(3)], process.env)
} else {
  const probe = (flags) => spawnSync('unshare', [...flags, 'true'], { stdio: 'ignore' }).status === 0
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const flags = [isRoot && ['--net'], ['-rn']].filter(Boolean).find(probe)
  if (!flags) {
    console.error(
      [
        'npm test: cannot create a private network namespace for the tests.',
        'The Gateway API conformance test binds ports 80, 443, 8080 and 8090 on 127.0.x.y, and does so',
        'only inside its own network namespace, never on the host. Either:',
        '  - run as root (sudo npm test), which uses `unshare --net`; or',
        '  - enable unprivileged user namespaces so `unshare -rn` works',
        '    (Debian/Ubuntu: sysctl kernel.unprivileged_userns_clone=1;',
        '     Ubuntu 24.04+: sysctl kernel.apparmor_restrict_unprivileged_userns=0).',
        'unshare comes with util-linux and needs Linux. To run only the other tests on the host:',
        '  npx vitest run --project unit',
      ].join('\n'),
    )
    process.exit(2)
  }
  runAndExit('unshare', [...flags, '--', process.execPath, self, INSIDE, ...process.argv.slice(2)], {
    ...process.env,
    WEFT_TEST_NETNS: '1',
    // A run of everything decides the README capability table (test/support/capability-reporter.ts).
    WEFT_FULL_RUN: process.argv.length === 2 ? '1' : '',
  })
}
