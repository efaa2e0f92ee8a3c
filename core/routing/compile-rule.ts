/**
 * @module
 * Compile one HTTPRoute rule into its handler chain, once per snapshot:
 * rule timeout → rule filters (in order) → weighted split → per backend:
 * backend filters → backendRequest timeout → forward.
 * A RequestRedirect filter answers locally and ends the chain.
 *
 * @example
 * const handler = compileRule(route, 0, { config, upstream })
 */
import type { ConfigSet, HTTPRoute, HTTPRouteFilter } from '../config/types.js'
import type { Handler, Stage } from '../pipeline/stage.js'
import { compose } from '../pipeline/compose.js'
import type { Upstream } from '../upstream/upstream.js'
import { resolveBackend } from './backends.js'
import { requestHeaderModifier, responseHeaderModifier } from '../stages/header-modifier.js'
import { requestRedirect } from '../stages/redirect.js'
import { urlRewrite } from '../stages/url-rewrite.js'
import { requestMirror, mirrorFraction } from '../stages/mirror.js'
import { timeout } from '../stages/timeout.js'
import { split, type WeightedHandler } from '../stages/split.js'
import { forward } from '../stages/forward.js'

export interface CompileDeps {
  config: ConfigSet
  upstream: Upstream
  /** Mesh routes: cross-namespace backendRefs need no ReferenceGrant (GEP-1294). Default false. */
  skipReferenceGrant?: boolean
}

/** Filters become stages; a redirect is terminal, so it also reports that. */
function filterStages(filters: HTTPRouteFilter[], routeNs: string, deps: CompileDeps): { stages: Stage[]; terminal?: Stage } {
  const stages: Stage[] = []
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier': stages.push(requestHeaderModifier(f.requestHeaderModifier)); break
      case 'ResponseHeaderModifier': stages.push(responseHeaderModifier(f.responseHeaderModifier)); break
      case 'URLRewrite': stages.push(urlRewrite(f.urlRewrite)); break
      case 'RequestMirror': {
        const target = resolveBackend(deps.config, 'HTTPRoute', routeNs, f.requestMirror.backendRef, deps)
        stages.push(requestMirror(target, mirrorFraction(f.requestMirror), deps.upstream))
        break
      }
      case 'RequestRedirect': return { stages, terminal: requestRedirect(f.requestRedirect) }
      // CORS and ExtensionRef are accepted in config and not acted on yet (resilience/extension work).
      case 'CORS': case 'ExtensionRef': break
    }
  }
  return { stages }
}

export function compileRule(route: HTTPRoute, ruleIndex: number, deps: CompileDeps): Handler {
  const rule = route.spec.rules[ruleIndex]!
  const ns = route.metadata.namespace
  const label = `${ns}/${route.metadata.name}/${ruleIndex}`
  const outer: Stage[] = []
  if (rule.timeouts?.request) outer.push(timeout(rule.timeouts.request, 'request'))
  const { stages, terminal } = filterStages(rule.filters, ns, deps)
  outer.push(...stages)
  if (terminal) return compose(outer)(terminal(unreachable))

  const backends: WeightedHandler[] = rule.backendRefs.map((ref) => {
    const resolved = resolveBackend(deps.config, 'HTTPRoute', ns, ref, deps)
    const bf = filterStages(ref.filters, ns, deps)
    const inner: Stage[] = [...bf.stages]
    if (bf.terminal) return { weight: ref.weight, name: resolved.name, handler: compose(inner)(bf.terminal(unreachable)) }
    if (rule.timeouts?.backendRequest) inner.push(timeout(rule.timeouts.backendRequest, 'backendRequest'))
    return { weight: ref.weight, name: resolved.name, handler: compose(inner)(forward(resolved, deps.upstream)) }
  })
  return compose(outer)(split(backends, label))
}

async function unreachable(): Promise<never> {
  throw new Error('a terminal stage called next()')
}
