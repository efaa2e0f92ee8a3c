/**
 * @module
 * Compose stages into one handler, once per snapshot. The first stage is the outermost.
 *
 * @example
 * const handler = compose([rescue(), route(table)])(forward)
 */
import type { Handler, Stage } from './stage.js'

export function compose(stages: readonly Stage[]): (terminal: Handler) => Handler {
  return (terminal) => {
    let handler = terminal
    for (let i = stages.length - 1; i >= 0; i--) handler = stages[i]!(handler)
    return handler
  }
}
