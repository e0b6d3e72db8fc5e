// How a kernel call is cut into tasks for the worker pool (src/threads/pool.ts).

import { activeThreads, type Task } from '../../threads/pool.js';

/** Calls that move fewer bytes than this stay whole: a hand-off costs more than it saves. */
const SPLIT_MIN_BYTES = 1 << 19;
/** Ranges per thread: threads take them as they come free, so a late start costs less. */
const PARTS_PER_THREAD = 4;

/**
 * Independent items (planes of a pooling, images of a batch) cut into a few contiguous ranges per
 * active thread — or one range when the call is small. Results cannot depend on the cut, as each
 * item's outputs are computed by one task alone.
 */
export function rangeTasks(items: number, bytesPerItem: number, make: (first: number, count: number) => Task): Task[] {
  const threads = items * bytesPerItem < SPLIT_MIN_BYTES ? 1 : activeThreads();
  const parts = threads === 1 ? 1 : Math.min(threads * PARTS_PER_THREAD, items);
  const tasks: Task[] = [];
  for (let t = 0; t < parts; t++) {
    const first = Math.floor((items * t) / parts), end = Math.floor((items * (t + 1)) / parts);
    if (end > first) tasks.push(make(first, end - first));
  }
  return tasks;
}
