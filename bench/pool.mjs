#!/usr/bin/env node
// `npm run bench`: the same benchmark as `poolkit bench` — the code is cli/bench.ts, run here from
// dist/ (`npm run build` first). Options: `npm run bench -- --help`.
//
//     npm run bench                                         # every case (several minutes)
//     npm run bench -- --quick --cases max_k2s2,lenet5_epoch --json bench.json
process.argv.splice(2, 0, 'bench');
await import('../dist/cli/main.js');
