/**
 * The black-box suite (test/runtimes/blackbox.ts) against a gateway and a sidecar
 * running on workerd (through Miniflare, test/support/workerd-target.ts).
 */
import { blackbox } from './blackbox.js'

blackbox('workerd')
