// The worker pool: n − 1 workers, each an instance of the kernels' module over the same shared
// memory (src/kernels/wasm/loader.ts), so a kernel call can be split by address ranges with
// nothing copied. The calling thread is thread 0 and takes its share of every split.
//
// A split is a list of tasks — kernel calls with their arguments — dealt out round-robin (task i
// to thread i mod n). Each task writes only its own part of the outputs, and anything that sums
// across tasks (a weight gradient over a batch) is split into a fixed number of tasks and reduced
// in task order by the caller, so results do not depend on the number of threads.
//
// Hand-off goes through a small SharedArrayBuffer per worker: the caller writes the tasks, flips
// `state` to RUN and notifies; the worker runs them and flips it to DONE. Both sides spin briefly
// before they sleep, as kernels of a training step follow each other within microseconds.
//
// Platform-neutral: how to start a worker is registered by the platform entry (src/node.ts for
// Node); in browsers it is `Worker` + a Blob URL when the page is crossOriginIsolated (browser.ts).

import { check } from '../errors.js';
import { kernels, sharedKernels, type KernelExports } from '../kernels/wasm/loader.js';
import { browserSpawner } from './browser.js';

/** What a platform supplies to start one worker running `source` (which defines `start(data)`). */
export type WorkerSpawner = (source: string, data: WorkerData) => { terminate(): unknown };
export interface WorkerData {
  module: object;
  memory: object;
  control: SharedArrayBuffer;
  names: readonly string[];
}

/** A kernel call: the name of an export of the kernels' module and its (int32) arguments. */
export interface Task {
  fn: string;
  args: readonly number[];
}

const STATE = 0, READY = 1, COUNT = 2, RESULT = 3, TASKS = 8;
const RUN = 1, DONE = 2, EXIT = 3;
const CONTROL_INTS = 2048;
/**
 * Polls (~10–30 µs) before sleeping in Atomics.wait: long enough to catch the next kernel of a
 * training step without a wake-up, short enough not to steal a core when the machine is busy.
 */
const SPIN = 20000;

// The worker's side. Plain JS run by the spawner (eval'd in Node, a Blob URL in browsers).
const WORKER_SOURCE = `
function start({ module, memory, control, names }) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((n) => exports[n]);
  const c = new Int32Array(control);
  Atomics.store(c, ${READY}, 1);
  for (;;) {
    let s = Atomics.load(c, ${STATE});
    for (let spin = 0; s !== ${RUN} && s !== ${EXIT} && spin < ${SPIN}; spin++) s = Atomics.load(c, ${STATE});
    while (s !== ${RUN} && s !== ${EXIT}) { Atomics.wait(c, ${STATE}, s); s = Atomics.load(c, ${STATE}); }
    if (s === ${EXIT}) return;
    let ok = 1;
    try {
      const count = c[${COUNT}];
      for (let t = 0, at = ${TASKS}; t < count; t++) {
        const fn = fns[c[at]], argc = c[at + 1], a = c.subarray(at + 2, at + 2 + argc);
        if (fn(...a) !== 1) ok = 0;
        at += 2 + argc;
      }
    } catch (e) {
      ok = 0;
    }
    c[${RESULT}] = ok;
    Atomics.store(c, ${STATE}, ${DONE});
    Atomics.notify(c, ${STATE});
  }
}
`;

interface Worker {
  control: Int32Array;
  handle: { terminate(): unknown };
}

let spawner: WorkerSpawner | undefined;
let wanted = 1;
let platformChecked = false;

/** The platform's spawner: registered (src/node.ts), or a browser's when the page can share memory. */
function platform(): WorkerSpawner | undefined {
  if (spawner === undefined && !platformChecked) {
    platformChecked = true;
    const browser = browserSpawner();
    if (browser !== undefined) setWorkerSpawner(browser.spawn, browser.cpus);
  }
  return spawner;
}
let workers: Worker[] = [];
let names: string[] = [];

/** Registers how this platform starts workers, and the default thread count (e.g. the CPU count). */
export function setWorkerSpawner(spawn: WorkerSpawner, defaultThreads: number): void {
  spawner = spawn;
  wanted = Math.max(1, Math.floor(defaultThreads));
}

/**
 * Sets how many threads the kernels use (the calling thread included). Needs shared memory and
 * a way to start workers: Node, or a crossOriginIsolated browser page; elsewhere kernels stay on
 * one thread. Results are the same at every thread count.
 */
export function setNumThreads(n: number): void {
  check(Number.isSafeInteger(n) && n >= 1 && n <= 256, 'set_num_threads', 'n',
    () => `Number of threads must be an integer between 1 and 256, but got ${String(n)}`, n);
  platform(); // a browser's default must not overwrite this choice later
  wanted = n;
  while (workers.length > n - 1) stop(workers.pop()!);
}

/** The number of threads kernels use now (1 without shared memory or a worker spawner). */
export function getNumThreads(): number {
  return platform() !== undefined && sharedKernels() !== undefined ? wanted : 1;
}

function stop(w: Worker): void {
  Atomics.store(w.control, STATE, EXIT);
  Atomics.notify(w.control, STATE);
  w.handle.terminate();
}

/** The workers that have started (spawning the missing ones, which join once they are ready). */
function readyWorkers(): Worker[] {
  const threads = getNumThreads();
  if (threads > 1 && workers.length < threads - 1) {
    const shared = sharedKernels()!;
    if (names.length === 0) names = Object.keys(kernels()!).filter((k) => typeof (kernels() as unknown as Record<string, unknown>)[k] === 'function');
    while (workers.length < threads - 1) {
      const control = new SharedArrayBuffer(CONTROL_INTS * 4);
      const c = new Int32Array(control);
      c[STATE] = DONE;
      try {
        const handle = spawner!(WORKER_SOURCE, { module: shared.module, memory: shared.memory, control, names });
        workers.push({ control: c, handle });
      } catch {
        wanted = workers.length + 1; // the platform refused: run with what there is
        break;
      }
    }
  }
  return workers.filter((w) => Atomics.load(w.control, READY) === 1);
}

/** The number of threads a split would use right now (the calling thread and the ready workers). */
export function activeThreads(): number {
  return getNumThreads() > 1 ? readyWorkers().length + 1 : 1;
}

/**
 * Runs every task — task i on thread i mod (ready workers + 1), the calling thread taking its own
 * share — and returns once all have finished: true when each returned 1.
 */
export function runTasks(tasks: readonly Task[]): boolean {
  const k = kernels();
  if (k === undefined) return false;
  const pool = tasks.length > 1 && getNumThreads() > 1 ? readyWorkers() : [];
  const threads = Math.min(pool.length + 1, tasks.length);
  const busy: Worker[] = [];
  for (let t = 1; t < threads; t++) {
    const w = pool[t - 1]!;
    const c = w.control;
    let at = TASKS, count = 0;
    for (let i = t; i < tasks.length; i += threads) {
      const task = tasks[i]!;
      if (at + 2 + task.args.length > CONTROL_INTS) return runAll(k, tasks, busy); // too many to hand over
      c[at] = names.indexOf(task.fn);
      c[at + 1] = task.args.length;
      for (let j = 0; j < task.args.length; j++) c[at + 2 + j] = task.args[j]!;
      at += 2 + task.args.length;
      count++;
    }
    c[COUNT] = count;
    Atomics.store(c, STATE, RUN);
    Atomics.notify(c, STATE);
    busy.push(w);
  }
  let ok = true;
  for (let i = 0; i < tasks.length; i += threads) ok = call(k, tasks[i]!) && ok;
  for (const w of busy) ok = wait(w) && ok;
  return ok;
}

function runAll(k: KernelExports, tasks: readonly Task[], busy: Worker[]): boolean {
  for (const w of busy) wait(w);
  let ok = true;
  for (const t of tasks) ok = call(k, t) && ok;
  return ok;
}

function call(k: KernelExports, task: Task): boolean {
  return (k as unknown as Record<string, (...a: number[]) => number>)[task.fn]!(...task.args) === 1;
}

let canBlock = true; // browsers' main threads may not Atomics.wait: they spin

function wait(w: Worker): boolean {
  const c = w.control;
  for (let spin = 0; Atomics.load(c, STATE) !== DONE; spin++) {
    if (spin > SPIN && canBlock) {
      try {
        Atomics.wait(c, STATE, RUN, 1);
      } catch {
        canBlock = false;
      }
    }
  }
  return c[RESULT] === 1;
}
