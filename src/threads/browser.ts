// Workers in browsers: a Blob URL of the worker source, started with `new Worker`, handed the
// module and the shared memory by postMessage. Only on crossOriginIsolated pages (COOP + COEP
// headers), the only pages where a WebAssembly memory can be shared.

import type { WorkerSpawner } from './pool.js';

interface BrowserGlobals {
  Worker?: new (url: string) => { postMessage(data: unknown): void; terminate(): void };
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/** This page's spawner and CPU count, or undefined where workers cannot share memory. */
export function browserSpawner(): { spawn: WorkerSpawner; cpus: number } | undefined {
  const g = globalThis as BrowserGlobals;
  const { Worker, Blob, URL } = g;
  if (g.crossOriginIsolated !== true || Worker === undefined || Blob === undefined || URL === undefined) return undefined;
  let url: string | undefined;
  const spawn: WorkerSpawner = (source, data) => {
    url ??= URL.createObjectURL(new Blob([`${source}\nself.onmessage = (e) => start(e.data);`], { type: 'text/javascript' }));
    const worker = new Worker(url);
    worker.postMessage(data);
    return worker;
  };
  return { spawn, cpus: Math.max(1, g.navigator?.hardwareConcurrency ?? 1) };
}
