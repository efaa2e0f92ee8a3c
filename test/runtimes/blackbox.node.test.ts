/**
 * The black-box suite (test/runtimes/blackbox.ts) against a gateway and a sidecar
 * running on node (`weft gateway|proxy --runtime node`).
 */
import { blackbox } from './blackbox.js'

blackbox('node')
