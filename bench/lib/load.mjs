// Load generators, pinned to the load core: wrk for the closed loop (saturation, req/s)
// and bench/openloop.c for the open loop (fixed rate, latency from the intended send
// time, coordinated omission corrected).
import { run } from './procs.mjs'
import { OPENLOOP } from './tools.mjs'

export const PROXY_CORE = '0'
export const LOAD_CORE = '1'

function toMs(v, unit) {
  const n = Number(v)
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : NaN
}

export function parseWrk(out) {
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
    return m ? toMs(m[1], m[2]) : null
  }
  const requests = Number(/(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out)?.[1] ?? NaN)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  return { requests, rps, p50: pct(50), p99: pct(99), non2xx, socketErrors }
}

/** wrk -t1 -cN closed loop for `seconds`; headers as { name: value }. */
export async function wrk(port, seconds, { connections = 50, headers = {}, path = '/' } = {}) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const { code, out } = await run('wrk', 'taskset', ['-c', LOAD_CORE, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...h, `http://127.0.0.1:${port}${path}`])
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out.slice(-1500)}`)
  const w = parseWrk(out)
  if (!(w.requests > 0)) throw new Error(`wrk completed no request:\n${out.slice(-1500)}`)
  return w
}

/** bench/out/openloop at `rate` req/s for `seconds` (after `warmup` s not recorded). Latencies in ms. */
export async function openloop(port, { rate, seconds, warmup = 1, connections = 20, headers = {}, path = '/' }) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const { code, out } = await run('openloop', 'taskset', ['-c', LOAD_CORE, OPENLOOP, '-R', String(rate), '-d', String(seconds), '-w', String(warmup), '-c', String(connections), '-t', '5', ...h, `http://127.0.0.1:${port}${path}`])
  const line = out.split('\n').find((l) => l.startsWith('{'))
  if (code !== 0 || !line) throw new Error(`openloop exited with ${code}:\n${out.slice(-1500)}`)
  const r = JSON.parse(line)
  const ms = (us) => us / 1000
  return {
    rate: r.rate, sent: r.sent, completed: r.completed, achievedRps: r.achievedRps,
    errors: r.errors + r.non2xx + r.timeouts + r.unsent, detail: { errors: r.errors, non2xx: r.non2xx, timeouts: r.timeouts, unsent: r.unsent },
    p50: ms(r.latencyUs.p50), p90: ms(r.latencyUs.p90), p99: ms(r.latencyUs.p99), p999: ms(r.latencyUs.p999), max: ms(r.latencyUs.max),
  }
}
