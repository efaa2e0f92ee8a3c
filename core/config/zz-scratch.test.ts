import { it } from 'vitest'
import { loadConfig, formatIssues } from './load.js'
it('scratch', () => {
  const r = loadConfig([{ name: 'mesh.yaml', text: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  gatewayClassName: weft
  listeners: [{ name: http, port: 80, protocol: HTTP }]\n---\nkind: HTTPRoute\nmetadata: { name: [oops }\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: a }` }])
  if (!r.ok) console.log(formatIssues(r.issues))
})
