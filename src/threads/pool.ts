// The worker pool: n − 1 workers, each an instance of the kernels' module over the same shared
// memory (src/kernels/wasm/loader.ts), so a kernel call can be split by address ranges with
// nothing copied. The calling thread is thread 0 and takes its share of every split.
//
// A split is a list of tasks — kernel calls with their arguments — that every thread takes from a
// shared table, one at a time, through an atomic counter. Each task writes only its own part of
// the outputs, and anything that sums across tasks (a weight gradient over a batch) is split into
// a fixed number of tasks and reduced in task order by the caller, so results depend neither on
// the number of threads nor on which thread ran which task.
//
// Hand-off: the caller fills the table, bumps each worker's WAKE and notifies; every thread takes
// tasks until none are left; the caller returns once all have finished — it never waits for a
// worker, so one that wakes late only means the others did its share. Both sides spin briefly
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
  table: SharedArrayBuffer;
  names: readonly string[];
}

/** A kernel call: the name of an export of the kernels' module and its (int32) arguments. */
export interface Task {
  fn: string;
  args: readonly number[];
}

// A worker's control words (WAKE counts the dispatches it is woken for); the task table every
// thread takes tasks from. Each dispatch has a generation: NEXT holds it and the next task index
// (generation · 2^15 + index), COUNT the generation and the number of tasks, FINISHED counts
// finished tasks. A take whose generation is not COUNT's, or whose index is past the count, is
// empty — so a worker that wakes late can neither run a finished dispatch's task twice nor
// read a table being rewritten (that only happens once every task of the last one finished).
const WAKE = 0, READY = 1, EXIT = 2;
const CONTROL_INTS = 16;
const NEXT = 0, COUNT = 1, RESULT = 2, FINISHED = 3, OFFSETS = 8, MAX_TASKS = 256, TABLE_INTS = 16384;
const INDEX_BITS = 15, INDEX_MASK = (1 << INDEX_BITS) - 1, GENERATIONS = 1 << 16;
/**
 * Polls (~10–30 µs) before sleeping in Atomics.wait: long enough to catch the next kernel of a
 * training step without a wake-up, short enough not to steal a core when the machine is busy.
 */
const SPIN = 20000;

// The worker's side. Plain JS run by the spawner (eval'd in Node, a Blob URL in browsers): when
// WAKE moves it takes tasks from the table until none are left, then waits for the next wake. A
// worker that wakes late finds the table exhausted (or, already, the next dispatch's tasks, which
// it may run too): the caller never waits for a worker, only for the tasks.
const WORKER_SOURCE = `
function start({ module, memory, control, table, names }) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((n) => exports[n]);
  const c = new Int32Array(control), tb = new Int32Array(table);
  let seen = Atomics.load(c, ${WAKE});
  Atomics.store(c, ${READY}, 1);
  for (;;) {
    let w = Atomics.load(c, ${WAKE});
    for (let spin = 0; w === seen && spin < ${SPIN}; spin++) w = Atomics.load(c, ${WAKE});
    while (w === seen) { Atomics.wait(c, ${WAKE}, seen); w = Atomics.load(c, ${WAKE}); }
    seen = w;
    if (Atomics.load(c, ${EXIT}) === 1) return;
    for (;;) {
      const v = Atomics.add(tb, ${NEXT}, 1), cg = Atomics.load(tb, ${COUNT});
      const i = v & ${INDEX_MASK}, count = cg & ${INDEX_MASK};
      if (v >>> ${INDEX_BITS} !== cg >>> ${INDEX_BITS} || i >= count) break;
      const at = tb[${OFFSETS} + i], argc = tb[at + 1];
      let r = 0;
      try {
        r = fns[tb[at]](...tb.subarray(at + 2, at + 2 + argc));
      } catch (e) {
        r = 0;
      }
      if (r !== 1) Atomics.store(tb, ${RESULT}, 0);
      if (Atomics.add(tb, ${FINISHED}, 1) + 1 === count) Atomics.notify(tb, ${FINISHED});
    }
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
const table = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(TABLE_INTS * 4)) : new Int32Array(0);
let generation = 0;

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
  Atomics.store(w.control, EXIT, 1);
  Atomics.add(w.control, WAKE, 1);
  Atomics.notify(w.control, WAKE);
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
      try {
        const handle = spawner!(WORKER_SOURCE, { module: shared.module, memory: shared.memory, control, table: table.buffer as SharedArrayBuffer, names });
        workers.push({ control: new Int32Array(control), handle });
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
 * Runs every task across the calling thread and the ready workers, each thread taking the next
 * task from a shared counter until none are left (so a late or busy thread takes fewer), and
 * returns once all have finished: true when each returned 1. Each task writes its own outputs,
 * so which thread ran it does not matter.
 */
export function runTasks(tasks: readonly Task[]): boolean {
  const k = kernels();
  if (k === undefined) return false;
  const pool = tasks.length > 1 && getNumThreads() > 1 ? readyWorkers().slice(0, tasks.length - 1) : [];
  if (pool.length === 0 || !fill(tasks)) {
    let ok = true;
    for (const t of tasks) ok = call(k, t) && ok;
    return ok;
  }
  for (const w of pool) {
    Atomics.add(w.control, WAKE, 1);
    Atomics.notify(w.control, WAKE);
  }
  // A task that throws here (a trap) must not leave the dispatch half done: the others still
  // run, every task is waited for, and then the error goes on.
  let ok = true, error: unknown;
  for (let v = Atomics.add(table, NEXT, 1); (v & INDEX_MASK) < tasks.length; v = Atomics.add(table, NEXT, 1)) {
    try {
      ok = call(k, tasks[v & INDEX_MASK]!) && ok;
    } catch (e) {
      ok = false;
      error ??= e;
    }
    Atomics.add(table, FINISHED, 1);
  }
  finished(tasks.length);
  if (error !== undefined) throw error;
  return ok && Atomics.load(table, RESULT) === 1;
}

/**
 * Writes the tasks into the shared table under a new generation and opens it; false when they
 * do not fit (the caller runs them alone). Until NEXT moves to the new generation, every take
 * is empty (the last dispatch's index is past its count), so nobody reads a half-written table.
 */
function fill(tasks: readonly Task[]): boolean {
  if (tasks.length > MAX_TASKS) return false;
  let at = OFFSETS + MAX_TASKS;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (at + 2 + task.args.length > TABLE_INTS) return false;
    table[OFFSETS + i] = at;
    table[at] = names.indexOf(task.fn);
    table[at + 1] = task.args.length;
    for (let j = 0; j < task.args.length; j++) table[at + 2 + j] = task.args[j]!;
    at += 2 + task.args.length;
  }
  generation = (generation + 1) % GENERATIONS;
  Atomics.store(table, RESULT, 1);
  Atomics.store(table, FINISHED, 0);
  Atomics.store(table, COUNT, generation * (INDEX_MASK + 1) + tasks.length);
  Atomics.store(table, NEXT, generation * (INDEX_MASK + 1)); // open
  return true;
}

function call(k: KernelExports, task: Task): boolean {
  return (k as unknown as Record<string, (...a: number[]) => number>)[task.fn]!(...task.args) === 1;
}

let canBlock = true; // browsers' main threads may not Atomics.wait: they spin

/**
 * A split whose tasks make no progress for this long has lost a worker (killed mid-task): the
 * workers are let go (new ones start on the next split) and the caller gets an error, not a hang.
 * No single task — at most a fraction of one kernel call — comes near it.
 */
const STALL_MS = 120_000;

/** Until all `count` tasks have finished, whoever ran them. */
function finished(count: number): void {
  let last = -1, since = 0;
  for (let spin = 0, f = Atomics.load(table, FINISHED); f < count; spin++, f = Atomics.load(table, FINISHED)) {
    if (spin > SPIN && canBlock) {
      try {
        Atomics.wait(table, FINISHED, f, 1);
      } catch {
        canBlock = false;
      }
    }
    if ((spin & 1023) === 0) {
      const now = Date.now();
      if (f !== last) [last, since] = [f, now];
      else if (now - since > STALL_MS) {
        while (workers.length > 0) stop(workers.pop()!);
        throw new Error(`poolkit: a worker thread stopped in the middle of a kernel (no progress for ${STALL_MS / 1000} s); the workers are restarted on the next call`);
      }
    }
  }
}
