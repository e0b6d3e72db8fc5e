// Fast pooling kernels: the WebAssembly SIMD twins of src/kernels/ref/pool.ts, with the same
// signatures plus a boolean — true when they ran, false when they decline (no WebAssembly SIMD,
// geometry they do not cover, memory they cannot get), and the caller runs the reference.
// Results are bit-identical to the reference (test/parity/kernels.test.ts).
//
// For now each call copies its inputs into the wasm memory and its outputs back; the next step of
// issue 4 keeps tensor storage in the wasm memory so that nothing is copied.

import type { AdaptiveGeometry, PoolGeometry } from '../../pool/geometry.js';
import type { AvgOptions } from '../ref/pool.js';
import { f32View, i32View, kernels, withBlocks } from './loader.js';

/**
 * The wasm pooling kernels are 2-D: a 3-D window (depth taps, or more than one depth in or out)
 * declines until 3-D runs through them; 1-D and 2-D records have depth 1 and pass.
 */
function covered2d(g: PoolGeometry): boolean {
  return g.kD === 1 && g.inD === 1 && g.outD === 1 && g.padD === 0 && g.padEndD === 0;
}

/** The wasm kernels take the divisor override as a non-zero int32 exact in float32 (0 = none). */
function divisorArg(opts: AvgOptions): number | undefined {
  const d = opts.divisorOverride;
  if (d === undefined) return 0;
  return Number.isInteger(d) && d !== 0 && Math.abs(d) <= 2 ** 24 ? d : undefined;
}

export function max_pool_fwd__wasm_simd(x: Float32Array, g: PoolGeometry, out: Float32Array, indices: Int32Array): boolean {
  if (!covered2d(g)) return false;
  const n = g.planes * g.inH * g.inW;
  const m = g.planes * g.outH * g.outW;
  return withBlocks([n * 4, m * 4, m * 4], (k, [xp, op, ip]) => {
    f32View(xp!, n).set(x.subarray(0, n));
    if (!k.max_pool2d_fwd(xp!, op!, ip!, g.planes, g.inH, g.inW, g.outH, g.outW,
      g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
    out.set(f32View(op!, m));
    indices.set(i32View(ip!, m));
    return true;
  });
}

/** Max-style pooling backward (sliding, adaptive, fractional): any plane sizes. */
export function max_pool_bwd__wasm_simd(gradOut: Float32Array, indices: Int32Array, planes: number, inPlane: number, outPlane: number, gradIn: Float32Array): boolean {
  const n = planes * inPlane;
  const m = planes * outPlane;
  return withBlocks([m * 4, m * 4, n * 4], (k, [gp, ip, gi]) => {
    f32View(gp!, m).set(gradOut.subarray(0, m));
    i32View(ip!, m).set(indices.subarray(0, m));
    f32View(gi!, n).set(gradIn.subarray(0, n));
    if (!k.max_pool_bwd(gp!, ip!, planes, inPlane, outPlane, gi!)) return false;
    gradIn.set(f32View(gi!, n));
    return true;
  });
}

export function avg_pool_fwd__wasm_simd(x: Float32Array, g: PoolGeometry, opts: AvgOptions, out: Float32Array): boolean {
  const divisor = divisorArg(opts);
  if (!covered2d(g) || divisor === undefined) return false;
  const n = g.planes * g.inH * g.inW;
  const m = g.planes * g.outH * g.outW;
  return withBlocks([n * 4, m * 4], (k, [xp, op]) => {
    f32View(xp!, n).set(x.subarray(0, n));
    if (!k.avg_pool2d_fwd(xp!, op!, g.planes, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW,
      g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW, opts.countIncludePad ? 1 : 0, divisor)) return false;
    out.set(f32View(op!, m));
    return true;
  });
}

export function avg_pool_bwd__wasm_simd(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): boolean {
  const divisor = divisorArg(opts);
  if (!covered2d(g) || divisor === undefined) return false;
  const k0 = kernels();
  if (k0 === undefined) return false;
  const n = g.planes * g.inH * g.inW;
  const m = g.planes * g.outH * g.outW;
  const work = k0.avg_pool2d_bwd_work_bytes(g.inW, g.kW, g.sW, g.dilW);
  return withBlocks([m * 4, n * 4, work], (k, [gp, gi, wp]) => {
    f32View(gp!, m).set(gradOut.subarray(0, m));
    f32View(gi!, n).set(gradIn.subarray(0, n));
    if (!k.avg_pool2d_bwd(gp!, gi!, wp!, g.planes, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW,
      g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW, opts.countIncludePad ? 1 : 0, divisor)) return false;
    gradIn.set(f32View(gi!, n));
    return true;
  });
}

// Adaptive pooling (asm/kernels.ts adaptive_*): 1-D to 3-D, scalar forwards and a 4-column
// backward, each output's float32 operations exactly the reference's.

export function adaptive_avg_pool_fwd__wasm_simd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array): boolean {
  const n = g.planes * g.inD * g.inH * g.inW;
  const m = g.planes * g.outD * g.outH * g.outW;
  return withBlocks([n * 4, m * 4], (k, [xp, op]) => {
    f32View(xp!, n).set(x.subarray(0, n));
    if (!k.adaptive_avg_pool_fwd(xp!, op!, g.planes, g.inD, g.inH, g.inW, g.outD, g.outH, g.outW)) return false;
    out.set(f32View(op!, m));
    return true;
  });
}

export function adaptive_avg_pool_bwd__wasm_simd(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): boolean {
  const n = g.planes * g.inD * g.inH * g.inW;
  const m = g.planes * g.outD * g.outH * g.outW;
  return withBlocks([m * 4, n * 4], (k, [gp, gi]) => {
    f32View(gp!, m).set(gradOut.subarray(0, m));
    f32View(gi!, n).set(gradIn.subarray(0, n));
    if (!k.adaptive_avg_pool_bwd(gp!, gi!, g.planes, g.inD, g.inH, g.inW, g.outD, g.outH, g.outW)) return false;
    gradIn.set(f32View(gi!, n));
    return true;
  });
}

export function adaptive_max_pool_fwd__wasm_simd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array, indices: Int32Array): boolean {
  const n = g.planes * g.inD * g.inH * g.inW;
  const m = g.planes * g.outD * g.outH * g.outW;
  return withBlocks([n * 4, m * 4, m * 4], (k, [xp, op, ip]) => {
    f32View(xp!, n).set(x.subarray(0, n));
    if (!k.adaptive_max_pool_fwd(xp!, op!, ip!, g.planes, g.inD, g.inH, g.inW, g.outD, g.outH, g.outW)) return false;
    out.set(f32View(op!, m));
    indices.set(i32View(ip!, m));
    return true;
  });
}
