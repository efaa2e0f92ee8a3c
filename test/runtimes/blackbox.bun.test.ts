/**
 * The black-box suite (test/runtimes/blackbox.ts) against a gateway and a sidecar
 * running on bun (`weft gateway|proxy --runtime bun`).
 */
import { blackbox } from './blackbox.js'

blackbox('bun')
