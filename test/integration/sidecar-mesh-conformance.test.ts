/**
 * The GAMMA mesh conformance cases (test/mesh/mesh-cases.json) against real
 * processes: a `weft control` and one `weft proxy` per client of the environment
 * (its namespace the client's), each fed by signed bundles. Per suite the
 * environment and the suite's routes are applied through the Control API (the
 * previous suite's routes deleted first) and every sidecar is waited on until it
 * runs that version. The harness is test/mesh/mesh-suite.ts, shared with the
 * in-process run.
 */
import { meshConformance } from '../mesh/mesh-suite.js'
import { ProcessSidecars } from './sidecar-process.js'

meshConformance((clients) => ProcessSidecars.start(clients), { hook: 60_000, test: 30_000 })
