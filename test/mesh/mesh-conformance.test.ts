/**
 * GAMMA mesh conformance, data-driven: every HTTPRoute case of mesh-cases.json
 * (kubernetes-sigs/gateway-api `conformance/tests/mesh` as data; see
 * ../shared/conformance/MESH-NOTES.md) sent through a caller's sidecar outbound
 * listener to echo backends.
 *
 * Environment: one echo server per workload (echo-v1, echo-v2 in
 * gateway-conformance-mesh); each mesh Service's static endpoints are its workloads'
 * echo servers (echo → both, echo-v1 → echo-v1, echo-v2 → echo-v2), with the
 * environment's ports and no targetPort (every port reaches the echo server).
 * One sidecar per client of the environment, its namespace the client's.
 *
 * Per suite: the environment plus the suite's routes verbatim are applied, then one
 * `it` per case, in order. Each case is sent origin-form (`Host: echo`) AND
 * absolute-form (`GET http://echo/path`), except the cases the data marks
 * absolute-form only; both must pass. The weight case also checks the 70/30 split
 * over 500 requests on reused keep-alive connections.
 *
 * The sidecar is reached only through `MeshSidecars` (sidecar.ts): today the
 * in-process Node adapter around buildOutboundSnapshot; a real `weft proxy` process
 * per client can implement the same seam later (`sendThroughSidecar`).
 *
 * DEFERRED (marked skip in the data, no tests generated):
 *   mesh-grpcroute-request-header-modifier   GRPCRoute (4 cases)
 *   mesh-grpcroute-weight                    GRPCRoute (1 case)
 */
import { meshConformance } from './mesh-suite.js'
import { InProcessSidecars } from './sidecar.js'

meshConformance((clients) => InProcessSidecars.start(clients))
