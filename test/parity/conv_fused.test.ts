// Parity of the fused conv2d kernels (conv2d_fwd__wasm_simd / conv2d_bwd__wasm_simd in
// src/kernels/wasm/conv.ts: the whole batch copied into the wasm memory once, col kept there)
// against the loop of pieces they replace (conv2d_fwd_pieces / conv2d_bwd_pieces in
// src/kernels/conv.ts, each im2col and GEMM dispatched — and copied — on its own), bit for bit:
// the same kernels run in the same order on the same float32 values. Gradients accumulate onto
// non-zero starting values; a declined call leaves every output untouched. Any NaN equals any
// NaN (test/helpers/parity.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { conv2d_bwd, conv2d_bwd_pieces, conv2d_fwd, conv2d_fwd_pieces } from '../../src/kernels/conv.js';
import { setFastKernels } from '../../src/kernels/switch.js';
import { conv2d_bwd__wasm_simd, conv2d_fwd__wasm_simd } from '../../src/kernels/wasm/conv.js';
import { memoryStats, wasmSimdAvailable } from '../../src/kernels/wasm/loader.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../src/ops/conv.js';
import { rng as prng } from '../helpers/gradcheck.js';
import { assertBitsEqual, int, values, type Fill } from '../helpers/parity.js';

interface ConvCase { input: number[]; weight: number[]; opts: Conv2dOptions }

const EDGES: ConvCase[] = [
  ...[1, 2, 3, 5, 8].map((n) => ({ input: [n, 1, 28, 28], weight: [6, 1, 5, 5], opts: { padding: 2 } })), // LeNet conv1
  ...[1, 2, 4, 7, 8].map((n) => ({ input: [n, 6, 14, 14], weight: [16, 6, 5, 5], opts: {} })), // LeNet conv2
  { input: [1, 28, 28], weight: [6, 1, 5, 5], opts: { padding: 2 } }, // unbatched
  { input: [3, 9, 7], weight: [2, 3, 3, 3], opts: { padding: 'same' } },
  { input: [2, 4, 9, 13], weight: [4, 2, 3, 3], opts: { padding: 1, groups: 2 } },
  { input: [3, 6, 8, 8], weight: [6, 1, 3, 3], opts: { padding: 1, groups: 6 } }, // depthwise
  { input: [2, 2, 7, 11], weight: [3, 2, 3, 2], opts: { stride: [2, 3], padding: [1, 2], dilation: [2, 1] } },
  { input: [2, 3, 10, 9], weight: [4, 3, 4, 3], opts: { padding: 'same', dilation: [2, 3] } }, // even kernel: odd pixel at the end
  { input: [2, 1, 3, 3], weight: [1, 1, 2, 2], opts: { padding: 4 } }, // padding beyond the kernel
  { input: [4, 1, 5, 17], weight: [2, 1, 1, 1], opts: {} },
  { input: [1, 3, 40, 40], weight: [4, 3, 3, 3], opts: { padding: 1 } }, // L = 1600: several GEMM column blocks
  { input: [2, 32, 6, 6], weight: [5, 32, 3, 3], opts: {} }, // K = 288: several GEMM depth blocks
  { input: [2, 2, 4, 4], weight: [130, 2, 1, 1], opts: { groups: 1 } }, // 130 output rows: several GEMM row blocks
  { input: [0, 2, 5, 5], weight: [3, 2, 3, 3], opts: {} }, // empty batch
];

function randomCases(seed: number, count: number): ConvCase[] {
  const rand = prng(seed);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const groups = int(rand, 1, 3);
    const cinPer = int(rand, 1, 4), coutPer = int(rand, 1, 4);
    const kH = int(rand, 1, 5), kW = int(rand, 1, 5);
    const dil = [int(rand, 1, 2), int(rand, 1, 2)];
    const r = rand();
    const same = r < 0.2;
    const stride = same ? [1, 1] : [int(rand, 1, 3), int(rand, 1, 3)];
    const padding = same ? 'same' as const : [int(rand, 0, 3), int(rand, 0, 3)];
    const spatial = [int(rand, 1, 20), int(rand, 1, 20)];
    const batched = rand() < 0.85;
    const input = batched ? [int(rand, 1, 8), cinPer * groups, ...spatial] : [cinPer * groups, ...spatial];
    const c = { input, weight: [coutPer * groups, cinPer, kH, kW], opts: { groups, stride, padding, dilation: dil } };
    try {
      conv2dGeometry(c.input, c.weight, null, c.opts);
    } catch {
      continue; // kernel larger than the padded input: not a geometry the kernels see
    }
    cases.push(c);
  }
  return cases;
}

const CASES = [...EDGES, ...randomCases(20261207, 200)];
const FILLS: Fill[] = ['normal', 'special'];

const sizes = (g: Conv2dGeometry) => {
  const K = g.cinPerGroup * g.kH * g.kW;
  return { x: g.batch * g.cin * g.inH * g.inW, w: g.cout * K, y: g.batch * g.cout * g.outH * g.outW };
};
const describeCase = (c: ConvCase) => `input ${JSON.stringify(c.input)} weight ${JSON.stringify(c.weight)} ${JSON.stringify(c.opts)}`;

test('WebAssembly SIMD is available on this Node (the fused kernels run, not decline)', () => {
  assert.equal(wasmSimdAvailable(), true);
});

describe('fused conv2d = the loop of pieces, bit for bit', () => {
  // The per-piece GEMMs keep one packing buffer for good (src/kernels/wasm/gemm.ts): allocate it
  // before counting blocks.
  const warm = conv2dGeometry([1, 1, 2, 2], [1, 1, 1, 1], null, {});
  conv2d_fwd_pieces(new Float32Array(4), new Float32Array(1), null, warm, new Float32Array(4));

  test('forward: bias filled into y per image and group, then y += W · col', () => {
    const rand = prng(31);
    const before = memoryStats().allocated;
    for (const c of CASES) {
      for (const bias of [true, false]) {
        const g = conv2dGeometry(c.input, c.weight, bias ? [c.weight[0]!] : null, c.opts);
        const n = sizes(g);
        for (const fill of FILLS) {
          const x = values(rand, n.x, fill), w = values(rand, n.w, fill);
          const b = bias ? values(rand, g.cout, fill) : null;
          // Without a bias the GEMM adds onto y: start from non-zero values.
          const start = values(rand, n.y, 'normal');
          const ref = start.slice(), fused = start.slice(), dispatched = start.slice();
          conv2d_fwd_pieces(x, w, b, g, ref);
          assert.equal(conv2d_fwd__wasm_simd(x, w, b, g, fused), true, describeCase(c));
          assertBitsEqual(fused, ref, `${describeCase(c)} bias=${bias} ${fill}`);
          conv2d_fwd(x, w, b, g, dispatched);
          assertBitsEqual(dispatched, ref, `${describeCase(c)} bias=${bias} ${fill}: conv2d_fwd`);
        }
      }
    }
    assert.equal(memoryStats().allocated, before, 'every wasm block is freed');
  });

  test('backward: gx, gw and gb (any subset) accumulate onto their starting values in conv2d_bwd\'s order', () => {
    const rand = prng(32);
    const before = memoryStats().allocated;
    const subsets = [[true, true, true], [true, false, false], [false, true, false], [false, false, true], [false, true, true]];
    for (const c of CASES) {
      const g = conv2dGeometry(c.input, c.weight, [c.weight[0]!], c.opts);
      const n = sizes(g);
      for (const fill of FILLS) {
        const x = values(rand, n.x, fill), w = values(rand, n.w, fill), gy = values(rand, n.y, fill);
        const gx0 = values(rand, n.x, 'normal'), gw0 = values(rand, n.w, 'normal'), gb0 = values(rand, g.cout, 'normal');
        for (const [wantX, wantW, wantB] of subsets) {
          const pick = (on: boolean | undefined, a: Float32Array) => (on ? a.slice() : null);
          const ref = [pick(wantX, gx0), pick(wantW, gw0), pick(wantB, gb0)] as const;
          const fused = [pick(wantX, gx0), pick(wantW, gw0), pick(wantB, gb0)] as const;
          const disp = [pick(wantX, gx0), pick(wantW, gw0), pick(wantB, gb0)] as const;
          conv2d_bwd_pieces(x, w, gy, g, ...ref);
          assert.equal(conv2d_bwd__wasm_simd(x, w, gy, g, ...fused), true, describeCase(c));
          conv2d_bwd(x, w, gy, g, ...disp);
          const what = `${describeCase(c)} ${fill} [gx gw gb]=${[wantX, wantW, wantB].join(',')}`;
          ['gx', 'gw', 'gb'].forEach((name, i) => {
            if (ref[i] === null) return;
            assertBitsEqual(fused[i]!, ref[i]!, `${what}: ${name}`);
            assertBitsEqual(disp[i]!, ref[i]!, `${what}: ${name} (conv2d_bwd)`);
          });
        }
      }
    }
    assert.equal(memoryStats().allocated, before, 'every wasm block is freed');
  });

  test('the forward\'s kept cols: the same cols as im2col, and the same gradients as unfolding again', () => {
    const rand = prng(33);
    for (const c of CASES) {
      const g = conv2dGeometry(c.input, c.weight, [c.weight[0]!], c.opts);
      const n = sizes(g);
      const colsLen = g.batch * g.groups * g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
      const x = values(rand, n.x, 'special'), w = values(rand, n.w, 'normal'), b = values(rand, g.cout, 'normal');
      const gy = values(rand, n.y, 'normal');
      const yRef = new Float32Array(n.y), yFused = new Float32Array(n.y);
      const colsRef = new Float32Array(colsLen), colsFused = values(rand, colsLen, 'normal');
      conv2d_fwd_pieces(x, w, b, g, yRef, colsRef);
      assert.equal(conv2d_fwd__wasm_simd(x, w, b, g, yFused, colsFused), true, describeCase(c));
      assertBitsEqual(colsFused, colsRef, `${describeCase(c)}: cols`);
      assertBitsEqual(yFused, yRef, `${describeCase(c)}: y with cols`);
      const plain = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.cout)] as const;
      conv2d_bwd_pieces(x, w, gy, g, ...plain);
      const viaRef = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.cout)] as const;
      conv2d_bwd_pieces(x, w, gy, g, ...viaRef, colsRef);
      const viaFused = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(g.cout)] as const;
      assert.equal(conv2d_bwd__wasm_simd(x, w, gy, g, ...viaFused, colsFused), true);
      ['gx', 'gw', 'gb'].forEach((name, i) => {
        assertBitsEqual(viaRef[i]!, plain[i]!, `${describeCase(c)}: ${name} from the kept cols (reference)`);
        assertBitsEqual(viaFused[i]!, plain[i]!, `${describeCase(c)}: ${name} from the kept cols (fused)`);
      });
    }
  });

  test('with the fast kernels off, conv2d_fwd / conv2d_bwd run the loop of pieces (reference kernels)', () => {
    const rand = prng(33);
    const g = conv2dGeometry([2, 6, 14, 14], [16, 6, 5, 5], [16], {});
    const n = sizes(g);
    const x = values(rand, n.x, 'normal'), w = values(rand, n.w, 'normal'), b = values(rand, 16, 'normal');
    const gy = values(rand, n.y, 'normal');
    const prev = setFastKernels(false);
    try {
      const ref = new Float32Array(n.y), got = new Float32Array(n.y);
      conv2d_fwd_pieces(x, w, b, g, ref);
      conv2d_fwd(x, w, b, g, got);
      assertBitsEqual(got, ref, 'forward');
      const r = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(16)] as const;
      const d = [new Float32Array(n.x), new Float32Array(n.w), new Float32Array(16)] as const;
      conv2d_bwd_pieces(x, w, gy, g, ...r);
      conv2d_bwd(x, w, gy, g, ...d);
      r.forEach((a, i) => assertBitsEqual(d[i]!, a, `backward ${i}`));
    } finally {
      setFastKernels(prev);
    }
  });
});

describe('a declined fused call leaves its outputs untouched', () => {
  const rand = prng(34);
  const real = conv2dGeometry([2, 3, 9, 9], [4, 3, 3, 3], [4], { padding: 1 });
  const n = sizes(real);
  const x = values(rand, n.x, 'normal'), w = values(rand, n.w, 'normal'), b = values(rand, 4, 'normal');
  const gy = values(rand, n.y, 'normal');

  test('memory it cannot get (a batch past the 4 GiB wasm memory) declines before any work', () => {
    const huge = Object.freeze({ ...real, batch: 2 ** 28 }) as Conv2dGeometry;
    const before = memoryStats();
    const y = values(rand, n.y, 'normal'), y0 = y.slice();
    assert.equal(conv2d_fwd__wasm_simd(x, w, b, huge, y), false);
    assertBitsEqual(y, y0, 'y');
    const gx = values(rand, n.x, 'normal'), gw = values(rand, n.w, 'normal'), gb = values(rand, 4, 'normal');
    const [gx0, gw0, gb0] = [gx.slice(), gw.slice(), gb.slice()];
    assert.equal(conv2d_bwd__wasm_simd(x, w, gy, huge, gx, gw, gb), false);
    assertBitsEqual(gx, gx0, 'gx');
    assertBitsEqual(gw, gw0, 'gw');
    assertBitsEqual(gb, gb0, 'gb');
    const after = memoryStats();
    assert.equal(after.allocated, before.allocated, 'no block leaks');
    assert.equal(after.memoryBytes, before.memoryBytes, 'the memory did not grow');
  });

  test('a kernel that declines mid-loop (col2im after sgemm_tn has run) leaves gx and gb untouched', () => {
    // dilation 0 never comes out of conv2dGeometry; the raw im2col / col2im decline it.
    const bad = Object.freeze({ ...real, dilW: 0 }) as Conv2dGeometry;
    const y = values(rand, n.y, 'normal'), y0 = y.slice();
    assert.equal(conv2d_fwd__wasm_simd(x, w, b, bad, y), false);
    assertBitsEqual(y, y0, 'y');
    const gx = values(rand, n.x, 'normal'), gb = values(rand, 4, 'normal');
    const [gx0, gb0] = [gx.slice(), gb.slice()];
    assert.equal(conv2d_bwd__wasm_simd(x, w, gy, bad, gx, null, gb), false);
    assertBitsEqual(gx, gx0, 'gx');
    assertBitsEqual(gb, gb0, 'gb');
  });
});
