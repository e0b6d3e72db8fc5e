// Fast im2col / col2im for 2-D convolution: the WebAssembly twins of im2col__ref and col2im__ref
// in src/kernels/ref/conv.ts (same signatures plus a boolean: false when they decline — no
// WebAssembly SIMD, or memory they cannot get — and the caller runs the reference; the
// dispatchers are in src/kernels/conv.ts).
// im2col only moves data and col2im adds in the reference's order, so both are bit-identical to
// the reference (test/parity/conv_adaptive.test.ts).
//
// conv2d_fwd__wasm_simd / conv2d_bwd__wasm_simd below run the whole per-image loop of
// src/kernels/conv.ts in the wasm memory instead (asm conv2d_*_images), cut by images across the
// worker pool — same kernels, same calls in the same order on the same float32 values, so
// bit-identical to that loop at any thread count (test/parity/conv_fused.test.ts).

import type { Conv2dGeometry } from '../../ops/conv.js';
import { runTasks } from '../../threads/pool.js';
import { f32View, kernels, withArgs, type KernelArg } from './loader.js';
import { rangeTasks } from './split.js';
import { addBiasGrad, gradChunks } from '../ref/conv.js';

/** Unfolds one group of one image into `col` (rows (c, kh, kw), columns (oh, ow)); +0 where padded. */
export function im2col__wasm_simd(x: Float32Array, xOff: number, g: Conv2dGeometry, col: Float32Array): boolean {
  const n = g.cinPerGroup * g.inH * g.inW;
  const m = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
  return withArgs([{ in: x.subarray(xOff, xOff + n) }, { out: col.subarray(0, m) }], (k, [xp, cp]) =>
    k.im2col(xp!, cp!, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW) === 1);
}

/** Folds `col` back into one group of one image of `dx`, adding overlapping taps in the reference's order. */
export function col2im__wasm_simd(col: Float32Array, g: Conv2dGeometry, dx: Float32Array, dxOff: number): boolean {
  const n = g.cinPerGroup * g.inH * g.inW;
  const m = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
  return withArgs([{ in: col.subarray(0, m) }, { inout: dx.subarray(dxOff, dxOff + n) }], (k, [cp, dp]) =>
    k.col2im(cp!, dp!, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW) === 1);
}

/** Bytes rounded up to the kernels' 16-byte alignment. */
function aligned(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** The geometry arguments of conv2d_fwd_images / conv2d_bwd_images after `images`. */
function geometryArgs(g: Conv2dGeometry): number[] {
  return [g.cin, g.inH, g.inW, g.cout, g.groups, g.outH, g.outW, g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW];
}

/**
 * y = conv2d(x, w) + b for the whole batch in the wasm memory: per image and group im2col, the
 * bias filled into y, then sgemm_nn — conv2d_fwd_pieces' loop, with the images cut across the
 * worker pool (each image is one task's alone). Declines (false, y untouched) without the
 * kernels or the memory for the scratch (a col and a packing buffer per task).
 */
export function conv2d_fwd__wasm_simd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry, y: Float32Array,
  cols: Float32Array | null = null): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  // Arrays shorter than the geometry asks for decline (the caller's reference then says so).
  if (x.length < g.batch * g.cin * g.inH * g.inW || w.length < g.cout * K || y.length < g.batch * g.cout * L) return false;
  const colBytes = aligned(K * L * 4), work = kx.gemm_work_bytes();
  const tasks = rangeTasks(g.batch, K * L * 4, (first, count) => ({ fn: 'conv2d_fwd_images', args: [first, count] }));
  const args: KernelArg[] = [{ in: x.subarray(0, g.batch * g.cin * g.inH * g.inW) }, { in: w.subarray(0, g.cout * K) },
    // Without a bias the GEMM adds onto y as it stands, as conv2d_fwd_pieces' does.
    b ? { out: y.subarray(0, g.batch * g.cout * L) } : { inout: y.subarray(0, g.batch * g.cout * L) },
    (colBytes + work) * tasks.length];
  const colsLen = g.batch * g.groups * K * L;
  if (cols && cols.length < colsLen) return false;
  args.push(cols ? { out: cols.subarray(0, colsLen) } : 0, b ? { in: b.subarray(0, g.cout) } : 0);
  return withArgs(args, (_, [xp, wp, yp, sp, cp, bp]) => runTasks(tasks.map(({ args: [first, count] }, t) => ({
    fn: 'conv2d_fwd_images',
    args: [xp! + first! * g.cin * g.inH * g.inW * 4, wp!, b ? bp! : 0, yp! + first! * g.cout * L * 4,
      sp! + t * (colBytes + work), sp! + t * (colBytes + work) + colBytes, cols ? cp! + first! * g.groups * K * L * 4 : 0, count!, ...geometryArgs(g)],
  }))));
}

/**
 * conv2d_bwd_pieces' loop in the wasm memory, across the worker pool: gw += the chunk partials
 * of Σ gy · colᵀ (im2col, sgemm_nt) in chunk order, gx += col2im(wᵀ · gy) (sgemm_tn into a zeroed
 * col), gb += Σ gy. Declines (false, gx, gw and gb untouched) without the kernels or the memory.
 */
export function conv2d_bwd__wasm_simd(
  x: Float32Array, w: Float32Array, gy: Float32Array, g: Conv2dGeometry,
  gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null, cols: Float32Array | null = null,
): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const xLen = g.batch * g.cin * g.inH * g.inW, wLen = g.cout * K, yLen = g.batch * g.cout * L;
  if (x.length < xLen || w.length < wLen || gy.length < yLen || (gx && gx.length < xLen) || (gw && gw.length < wLen) ||
    (cols && cols.length < g.batch * g.groups * K * L)) return false;
  const colBytes = aligned(K * L * 4), work = kx.gemm_work_bytes();
  const ranges = gw ? gradChunks(g.batch)
    : rangeTasks(g.batch, K * L * 4, (first, count) => ({ fn: 'conv2d_bwd_images', args: [first, first + count] })).map((t) => t.args as [number, number]);
  // Scratch: a col and a packing buffer per task, then the weight-gradient partials back to back.
  const perTask = colBytes + work, parts = ranges.length * perTask;
  const ok = gx === null && gw === null ? true : withArgs(
    [{ in: x.subarray(0, xLen) }, { in: w.subarray(0, wLen) }, { in: gy.subarray(0, yLen) }, parts + (gw ? ranges.length * wLen * 4 : 0),
      gx ? { inout: gx.subarray(0, xLen) } : 0, gw ? { inout: gw.subarray(0, wLen) } : 0,
      cols ? { in: cols.subarray(0, g.batch * g.groups * K * L) } : 0],
    (k, [xp, wp, gyp, sp, gxp, gwp, cp]) => {
      const part = (t: number): number => sp! + parts + t * wLen * 4;
      if (gw) f32View(part(0), ranges.length * wLen).fill(0);
      const done = runTasks(ranges.map(([first, end], t) => ({
        fn: 'conv2d_bwd_images',
        args: [xp! + first * g.cin * g.inH * g.inW * 4, wp!, gyp! + first * g.cout * L * 4,
          gx ? gxp! + first * g.cin * g.inH * g.inW * 4 : 0, gw ? part(t) : 0,
          sp! + t * perTask, sp! + t * perTask + colBytes, cols ? cp! + first * g.groups * K * L * 4 : 0, end - first, ...geometryArgs(g)],
      })));
      return done && (!gw || k.add_parts(gwp!, part(0), ranges.length, wLen) === 1);
    });
  if (!ok) return false;
  if (gb && !withArgs([{ in: gy.subarray(0, yLen) }, { inout: gb.subarray(0, g.cout) }], (_, [gyp, gbp]) =>
    runTasks(rangeTasks(g.cout, g.batch * L * 4, (o0, count) => ({ fn: 'bias_grad', args: [gyp!, gbp!, g.batch, g.cout, L, o0, o0 + count] }))))) {
    addBiasGrad(gy, g, gb);
  }
  return true;
}
