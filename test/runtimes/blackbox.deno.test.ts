/**
 * The black-box suite (test/runtimes/blackbox.ts) against a gateway and a sidecar
 * running on deno (`weft gateway|proxy --runtime deno`).
 */
import { blackbox } from './blackbox.js'

blackbox('deno')
