// Fast pooling kernels: the WebAssembly SIMD twins of src/kernels/ref/pool.ts, with the same
// signatures plus a boolean — true when they ran, false when they decline (no WebAssembly SIMD,
// geometry they do not cover, memory they cannot get), and the caller runs the reference.
// Results are bit-identical to the reference (test/parity/kernels.test.ts).
//
// Arrays in the kernels' shared memory are passed by address (withArgs); calls big enough are
// cut by planes across the worker pool — every plane is computed by one task alone, so the
// result does not depend on the number of threads.

import type { AdaptiveGeometry, PoolGeometry } from '../../pool/geometry.js';
import { runTasks } from '../../threads/pool.js';
import type { AvgOptions } from '../ref/pool.js';
import { kernels, withArgs, type KernelArg } from './loader.js';
import { rangeTasks } from './split.js';

/**
 * Depth 1 (1-D and 2-D records): the 2-D kernels. Otherwise max pooling runs through the 2-D
 * kernel and a depth step, average pooling through its direct 3-D kernels.
 */
export function covered2d(g: PoolGeometry): boolean {
  return g.kD === 1 && g.inD === 1 && g.outD === 1 && g.padD === 0 && g.padEndD === 0;
}

/** The wasm kernels take the divisor override as a non-zero int32 exact in float32 (0 = none). */
function divisorArg(opts: AvgOptions): number | undefined {
  const d = opts.divisorOverride;
  if (d === undefined) return 0;
  return Number.isInteger(d) && d !== 0 && Math.abs(d) <= 2 ** 24 ? d : undefined;
}

/** Bytes of one plane in and out (float32 data, and int32 indices where there are). */
function planeBytes(inPlane: number, outPlane: number, withIndices: boolean): number {
  return 4 * (inPlane + outPlane * (withIndices ? 2 : 1));
}

export function max_pool_fwd__wasm_simd(x: Float32Array, g: PoolGeometry, out: Float32Array, indices: Int32Array | null): boolean {
  if (!covered2d(g)) return max_pool3d_fwd(x, g, out, indices);
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const args: KernelArg[] = [{ in: x.subarray(0, g.planes * inPlane) }, { out: out.subarray(0, g.planes * outPlane) }];
  if (indices) args.push({ out: indices.subarray(0, g.planes * outPlane) });
  return withArgs(args, (_, [xp, op, ip]) =>
    runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, indices !== null), (p, planes) => ({
      fn: 'max_pool2d_fwd',
      args: [xp! + p * inPlane * 4, op! + p * outPlane * 4, ip === undefined ? 0 : ip + p * outPlane * 4, planes, g.inH, g.inW, g.outH, g.outW,
        g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW],
    }))));
}

/** Adaptive max backward with uniform 2×2 bins: writes all of gradIn, as max_pool_bwd_k2s2__wasm_simd. */
export function adaptive_max_pool_bwd_k2__wasm_simd(gradOut: Float32Array, indices: Int32Array, g: AdaptiveGeometry, gradIn: Float32Array): boolean {
  return uniform2d(g) && max_pool_bwd_k2s2__wasm_simd(gradOut, indices, asSliding(g), gradIn);
}

/**
 * 3-D max pooling through the 2-D kernel: every (plane, depth) slice pooled over H and W into a
 * scratch, then max_pool_depth takes each window's depth taps in order — the same values and
 * indices as the reference's (d, h, w) scan (see asm max_pool_depth).
 */
function max_pool3d_fwd(x: Float32Array, g: PoolGeometry, out: Float32Array, indices: Int32Array | null): boolean {
  const inArea = g.inH * g.inW, area = g.outH * g.outW;
  const slices = g.planes * g.inD, outLen = g.planes * g.outD * area;
  const args: KernelArg[] = [{ in: x.subarray(0, slices * inArea) }, { out: out.subarray(0, outLen) }, slices * area * 4 * (indices ? 2 : 1)];
  if (indices) args.push({ out: indices.subarray(0, outLen) });
  return withArgs(args, (_, [xp, op, tp, ip]) => {
    const ti = indices ? tp! + slices * area * 4 : 0;
    return runTasks(rangeTasks(slices, planeBytes(inArea, area, indices !== null), (sl, count) => ({
      fn: 'max_pool2d_fwd',
      args: [xp! + sl * inArea * 4, tp! + sl * area * 4, indices ? ti + sl * area * 4 : 0, count, g.inH, g.inW, g.outH, g.outW,
        g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW],
    }))) && runTasks(rangeTasks(g.planes, g.inD * area * 4 * (indices ? 2 : 1), (p, count) => ({
      fn: 'max_pool_depth',
      args: [tp! + p * g.inD * area * 4, indices ? ti + p * g.inD * area * 4 : 0, op! + p * g.outD * area * 4,
        indices ? ip! + p * g.outD * area * 4 : 0, count, g.inD, g.outD, area, inArea, g.kD, g.sD, g.padD, g.dilD],
    })));
  });
}

/**
 * Max-style pooling backward (sliding, adaptive, fractional): any plane sizes. `zeroFirst`:
 * gradIn need not be zeroed — each plane is, just before its scatter (asm max_pool_bwd_zeroed).
 */
export function max_pool_bwd__wasm_simd(gradOut: Float32Array, indices: Int32Array, planes: number, inPlane: number, outPlane: number, gradIn: Float32Array,
  zeroFirst = false): boolean {
  const m = planes * outPlane;
  const gi0 = gradIn.subarray(0, planes * inPlane);
  return withArgs([{ in: gradOut.subarray(0, m) }, { in: indices.subarray(0, m) }, zeroFirst ? { out: gi0 } : { inout: gi0 }], (_, [gp, ip, gi]) =>
    runTasks(rangeTasks(planes, planeBytes(inPlane, outPlane, true), (p, count) => ({
      fn: zeroFirst ? 'max_pool_bwd_zeroed' : 'max_pool_bwd',
      args: [gp! + p * outPlane * 4, ip! + p * outPlane * 4, count, inPlane, outPlane, gi! + p * inPlane * 4],
    }))));
}

/** k2s2 max pooling backward without padding: writes all of gradIn (see asm max_pool2d_bwd_k2s2). */
export function max_pool_bwd_k2s2__wasm_simd(gradOut: Float32Array, indices: Int32Array, g: PoolGeometry, gradIn: Float32Array): boolean {
  if (!covered2d(g) || g.kH !== 2 || g.kW !== 2 || g.sH !== 2 || g.sW !== 2 || g.dilH !== 1 || g.dilW !== 1 ||
    g.padH !== 0 || g.padW !== 0 || g.inH > 2 * g.outH + 1 || g.inW > 2 * g.outW + 1 || g.inH < 2 * g.outH || g.inW < 2 * g.outW) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: gradOut.subarray(0, g.planes * outPlane) }, { in: indices.subarray(0, g.planes * outPlane) }, { out: gradIn.subarray(0, g.planes * inPlane) }],
    (_, [gp, ip, gi]) => runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, true), (p, planes) => ({
      fn: 'max_pool2d_bwd_k2s2',
      args: [gp! + p * outPlane * 4, ip! + p * outPlane * 4, gi! + p * inPlane * 4, planes, g.inH, g.inW, g.outH, g.outW],
    }))));
}

/**
 * 2-D (and 1-D) sliding max pooling backward onto a gradIn that need not be zeroed: each output
 * row's input rows zeroed just before its scatter (see asm max_pool2d_bwd_rows).
 */
export function max_pool_bwd_rows__wasm_simd(gradOut: Float32Array, indices: Int32Array, g: PoolGeometry, gradIn: Float32Array): boolean {
  if (!covered2d(g)) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: gradOut.subarray(0, g.planes * outPlane) }, { in: indices.subarray(0, g.planes * outPlane) }, { out: gradIn.subarray(0, g.planes * inPlane) }],
    (_, [gp, ip, gi]) => runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, true), (p, planes) => ({
      fn: 'max_pool2d_bwd_rows',
      args: [gp! + p * outPlane * 4, ip! + p * outPlane * 4, gi! + p * inPlane * 4, planes, g.inH, g.inW, g.outH, g.outW, g.sH, g.padH, g.kH, g.dilH],
    }))));
}

/** The 3-D kernels' arguments after planes. */
function args3d(g: PoolGeometry, opts: AvgOptions, divisor: number): number[] {
  return [g.inD, g.inH, g.inW, g.outD, g.outH, g.outW, g.kD, g.kH, g.kW, g.sD, g.sH, g.sW, g.padD, g.padH, g.padW,
    g.padEndD, g.padEndH, g.padEndW, g.dilD, g.dilH, g.dilW, opts.countIncludePad ? 1 : 0, divisor];
}

/** 3-D average pooling (avg_pool3d_fwd / avg_pool3d_bwd: a direct 3-D window, depth loop outside). */
function avg_pool3d(fn: 'avg_pool3d_fwd' | 'avg_pool3d_bwd', src: Float32Array, srcPlane: number, dst: Float32Array, dstPlane: number,
  g: PoolGeometry, opts: AvgOptions, divisor: number): boolean {
  const dstArg = fn === 'avg_pool3d_fwd' ? { out: dst.subarray(0, g.planes * dstPlane) } : { inout: dst.subarray(0, g.planes * dstPlane) };
  return withArgs([{ in: src.subarray(0, g.planes * srcPlane) }, dstArg], (_, [sp, dp]) =>
    runTasks(rangeTasks(g.planes, 4 * (srcPlane + dstPlane), (p, planes) => ({
      fn, args: [sp! + p * srcPlane * 4, dp! + p * dstPlane * 4, planes, ...args3d(g, opts, divisor)],
    }))));
}

/** k2s2 average backward over whole windows: writes all of gradIn (see asm avg_pool2d_bwd_k2s2). */
export function avg_pool_bwd_k2s2__wasm_simd(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): boolean {
  const divisor = divisorArg(opts);
  if (divisor === undefined || !covered2d(g) || g.kH !== 2 || g.kW !== 2 || g.sH !== 2 || g.sW !== 2 || g.dilH !== 1 || g.dilW !== 1 ||
    g.padH !== 0 || g.padW !== 0 || g.inH > 2 * g.outH + 1 || g.inW > 2 * g.outW + 1 || g.inH < 2 * g.outH || g.inW < 2 * g.outW) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: gradOut.subarray(0, g.planes * outPlane) }, { out: gradIn.subarray(0, g.planes * inPlane) }], (_, [gp, gi]) =>
    runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, false), (p, planes) => ({
      fn: 'avg_pool2d_bwd_k2s2',
      // Whole windows: 4 taps, padded or not, unless overridden.
      args: [gp! + p * outPlane * 4, gi! + p * inPlane * 4, planes, g.inH, g.inW, g.outH, g.outW, divisor !== 0 ? divisor : 4],
    }))));
}

export function avg_pool_fwd__wasm_simd(x: Float32Array, g: PoolGeometry, opts: AvgOptions, out: Float32Array): boolean {
  const divisor = divisorArg(opts);
  if (divisor === undefined) return false;
  if (!covered2d(g)) return avg_pool3d('avg_pool3d_fwd', x, g.inD * g.inH * g.inW, out, g.outD * g.outH * g.outW, g, opts, divisor);
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: x.subarray(0, g.planes * inPlane) }, { out }], (_, [xp, op]) =>
    runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, false), (p, planes) => ({
      fn: 'avg_pool2d_fwd',
      args: [xp! + p * inPlane * 4, op! + p * outPlane * 4, planes, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW,
        g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW, opts.countIncludePad ? 1 : 0, divisor],
    }))));
}

export function avg_pool_bwd__wasm_simd(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): boolean {
  const divisor = divisorArg(opts);
  if (divisor === undefined) return false;
  if (!covered2d(g)) return avg_pool3d('avg_pool3d_bwd', gradOut, g.outD * g.outH * g.outW, gradIn, g.inD * g.inH * g.inW, g, opts, divisor);
  const k0 = kernels();
  if (k0 === undefined) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const work = k0.avg_pool2d_bwd_work_bytes(g.inW, g.kW, g.sW, g.dilW);
  const tasks = rangeTasks(g.planes, planeBytes(inPlane, outPlane, false), (first, count) => ({ fn: 'avg_pool2d_bwd', args: [first, count] }));
  return withArgs([{ in: gradOut.subarray(0, g.planes * outPlane) }, { inout: gradIn.subarray(0, g.planes * inPlane) }, work * tasks.length],
    (_, [gp, gi, wp]) => runTasks(tasks.map(({ args: [p, planes] }, t) => ({
      fn: 'avg_pool2d_bwd',
      args: [gp! + p! * outPlane * 4, gi! + p! * inPlane * 4, wp! + t * work, planes!, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW,
        g.padH, g.padW, g.padEndH, g.padEndW, g.dilH, g.dilW, opts.countIncludePad ? 1 : 0, divisor],
    }))));
}

// Adaptive pooling (asm/kernels.ts adaptive_*): 1-D to 3-D, scalar forwards and a 4-column
// backward, each output's float32 operations exactly the reference's.

type AdaptiveKernel = 'adaptive_avg_pool_fwd' | 'adaptive_avg_pool_bwd';

function adaptiveDense(fn: AdaptiveKernel, src: Float32Array, srcPlane: number, dst: Float32Array, dstPlane: number, dstMode: 'out' | 'inout', g: AdaptiveGeometry): boolean {
  const dstArg = dstMode === 'out' ? { out: dst.subarray(0, g.planes * dstPlane) } : { inout: dst.subarray(0, g.planes * dstPlane) };
  return withArgs([{ in: src.subarray(0, g.planes * srcPlane) }, dstArg], (_, [sp, dp]) =>
    runTasks(rangeTasks(g.planes, 4 * (srcPlane + dstPlane), (p, planes) => ({
      fn,
      args: [sp! + p * srcPlane * 4, dp! + p * dstPlane * 4, planes, g.inD, g.inH, g.inW, g.outD, g.outH, g.outW],
    }))));
}

/** Uniform 2-D bins: the input a multiple of the output along H and W (depth 1). */
function uniform2d(g: AdaptiveGeometry): boolean {
  return g.inD === 1 && g.outD === 1 && g.inH % g.outH === 0 && g.inW % g.outW === 0;
}

export function adaptive_avg_pool_fwd__wasm_simd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array): boolean {
  if (uniform2d(g)) {
    const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
    return withArgs([{ in: x.subarray(0, g.planes * inPlane) }, { out: out.subarray(0, g.planes * outPlane) }], (_, [xp, op]) =>
      runTasks(rangeTasks(g.planes, 4 * (inPlane + outPlane), (p, planes) => ({
        fn: 'adaptive_avg_pool2d_uniform_fwd', args: [xp! + p * inPlane * 4, op! + p * outPlane * 4, planes, g.inH, g.inW, g.outH, g.outW],
      }))));
  }
  return adaptiveDense('adaptive_avg_pool_fwd', x, g.inD * g.inH * g.inW, out, g.outD * g.outH * g.outW, 'out', g);
}

export function adaptive_avg_pool_bwd__wasm_simd(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): boolean {
  return adaptiveDense('adaptive_avg_pool_bwd', gradOut, g.outD * g.outH * g.outW, gradIn, g.inD * g.inH * g.inW, 'inout', g);
}

/** Uniform 2-D bins: writes all of gradIn (each input is in one bin), so it need not be zeroed. */
export function adaptive_avg_pool_bwd_uniform__wasm_simd(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): boolean {
  if (!uniform2d(g)) return false;
  const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  return withArgs([{ in: gradOut.subarray(0, g.planes * outPlane) }, { out: gradIn.subarray(0, g.planes * inPlane) }], (_, [gp, gi]) =>
    runTasks(rangeTasks(g.planes, 4 * (inPlane + outPlane), (p, planes) => ({
      fn: 'adaptive_avg_pool2d_uniform_bwd', args: [gp! + p * outPlane * 4, gi! + p * inPlane * 4, planes, g.inH, g.inW, g.outH, g.outW],
    }))));
}

/** Uniform adaptive bins are sliding windows with kernel = stride = in / out, no padding: the same max rule, the same indices. */
function asSliding(g: AdaptiveGeometry): PoolGeometry {
  const kH = g.inH / g.outH, kW = g.inW / g.outW;
  return {
    op: g.op, nd: 2, batched: g.batched, planes: g.planes, inD: 1, inH: g.inH, inW: g.inW, outD: 1, outH: g.outH, outW: g.outW,
    kD: 1, kH, kW, sD: 1, sH: kH, sW: kW, padD: 0, padH: 0, padW: 0, padEndD: 0, padEndH: 0, padEndW: 0, dilD: 1, dilH: 1, dilW: 1,
    inputShape: g.inputShape, outputShape: g.outputShape,
  };
}

export function adaptive_max_pool_fwd__wasm_simd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array, indices: Int32Array | null): boolean {
  if (uniform2d(g)) return max_pool_fwd__wasm_simd(x, asSliding(g), out, indices);
  const inPlane = g.inD * g.inH * g.inW, outPlane = g.outD * g.outH * g.outW;
  // The adaptive kernel always records indices: without a caller's array, into scratch.
  const idx: KernelArg = indices ? { out: indices.subarray(0, g.planes * outPlane) } : g.planes * outPlane * 4;
  return withArgs([{ in: x.subarray(0, g.planes * inPlane) }, { out: out.subarray(0, g.planes * outPlane) }, idx], (_, [xp, op, ip]) =>
    runTasks(rangeTasks(g.planes, planeBytes(inPlane, outPlane, true), (p, planes) => ({
      fn: 'adaptive_max_pool_fwd',
      args: [xp! + p * inPlane * 4, op! + p * outPlane * 4, ip! + p * outPlane * 4, planes, g.inD, g.inH, g.inW, g.outD, g.outH, g.outW],
    }))));
}
