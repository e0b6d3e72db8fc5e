// Fast Lp pooling kernels: the WebAssembly SIMD twins of src/kernels/ref/lp.ts (asm/lp.ts), with
// the same signatures plus a boolean — false when they decline and the caller runs the reference.
// Bit-identical to the reference (test/parity/lp.test.ts). Calls are cut by planes across the
// worker pool; each plane is computed by one task, so results do not depend on the thread count.

import type { PoolGeometry } from '../../pool/geometry.js';
import { runTasks } from '../../threads/pool.js';
import type { LpOptions } from '../ref/lp.js';
import { kernels, withArgs } from './loader.js';
import { covered2d } from './pool.js';
import { rangeTasks } from './split.js';


/**
 * The norm doubled (1, 2 or 4) when both exponents the reference uses, float32 `p` and `1/p`,
 * are ones it computes with IEEE float32 operations alone — p = 0.5, 1, 2 (see asm/lp.ts);
 * undefined for any other p, whose powers go through Math.pow, which wasm lacks.
 */
function doubledNorm(lp: LpOptions): number | undefined {
  const e = Math.fround(lp.normType), ei = Math.fround(1 / lp.normType);
  return e === 0.5 && ei === 2 ? 1 : e === 1 && ei === 1 ? 2 : e === 2 && ei === 0.5 ? 4 : undefined;
}

/** The exports of asm/lp.ts that are called directly rather than through the worker pool. */
interface LpExports {
  lp_pool2d_bwd_work_bytes(inW: number, outW: number): number;
}

export function lp_pool_fwd__wasm_simd(x: Float32Array, g: PoolGeometry, lp: LpOptions, out: Float32Array): boolean {
  const p2 = doubledNorm(lp);
  if (!covered2d(g) || p2 === undefined) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: x.subarray(0, g.planes * inPlane) }, { out: out.subarray(0, g.planes * outPlane) }], (_, [xp, op]) =>
    runTasks(rangeTasks(g.planes, 4 * (inPlane + outPlane), (p, planes) => ({
      fn: 'lp_pool2d_fwd',
      args: [xp! + p * inPlane * 4, op! + p * outPlane * 4, planes, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW,
        g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW, lp.trueNorm ? 1 : 0, p2],
    }))));
}

/** gradIn is overwritten, every element. */
export function lp_pool_bwd__wasm_simd(x: Float32Array, gradOut: Float32Array, g: PoolGeometry, lp: LpOptions, gradIn: Float32Array): boolean {
  const p2 = doubledNorm(lp);
  if (!covered2d(g) || p2 === undefined) return false;
  const k = kernels() as unknown as LpExports | undefined;
  if (k === undefined) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const work = k.lp_pool2d_bwd_work_bytes(g.inW, g.outW);
  const tasks = rangeTasks(g.planes, 4 * (2 * inPlane + outPlane), (first, count) => ({ fn: 'lp_pool2d_bwd', args: [first, count] }));
  return withArgs([
    { in: x.subarray(0, g.planes * inPlane) }, { in: gradOut.subarray(0, g.planes * outPlane) },
    { out: gradIn.subarray(0, g.planes * inPlane) }, work * tasks.length,
  ], (_, [xp, gp, ip, wp]) => runTasks(tasks.map(({ args: [p, planes] }, t) => ({
    fn: 'lp_pool2d_bwd',
    args: [xp! + p! * inPlane * 4, gp! + p! * outPlane * 4, ip! + p! * inPlane * 4, wp! + t * work, planes!,
      g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW,
      lp.trueNorm ? 1 : 0, p2],
  }))));
}
