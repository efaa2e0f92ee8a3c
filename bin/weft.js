#!/usr/bin/env node
// The `weft` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the `prepare` script).
import { main } from '../dist/cli/main.js'

main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 2 },
)
