// poolkit's entry point on Node (package.json "exports" → "node"): the platform-neutral API of
// index.ts, plus the worker threads the kernels split across — one per available CPU by default.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setWorkerSpawner } from './threads/pool.js';

export * from './index.js';

setWorkerSpawner((source, data) => {
  const worker = new Worker(`${source}\nstart(require('node:worker_threads').workerData);`, { eval: true, workerData: data });
  worker.unref(); // idle workers never keep the process alive
  return worker;
}, availableParallelism());
