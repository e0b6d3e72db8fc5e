// Lp pooling, 2-D (and 1-D as height 1): the WebAssembly SIMD twins of lp_pool_fwd__ref and
// lp_pool_bwd__ref (src/kernels/ref/lp.ts), called through src/kernels/wasm/lp.ts and
// re-exported by asm/kernels.ts, whose conventions hold here (byte addresses, 1 = ran, 0 =
// declined, lanes across output columns, loads up to 16 bytes past the last element used).
//
// Only exponents whose every power the reference computes with IEEE float32 operations are
// covered: p = 2 (x·x, and 1/p = 0.5 is a square root), p = 1 (Math.pow(v, 1) is v and
// Math.pow(v, 0) is 1) and p = 0.5 (a square root, and 1/p = 2 is v·v). Other p go through
// Math.pow, which wasm does not have: the caller declines them. Exponents are passed doubled
// (1, 2, 4 for 0.5, 1, 2). Every value is the reference's: sums from +0 in row-major tap order,
// then the chain, one float32 operation per step — where steps are merged, the comment says why
// the bits cannot change; a NaN's sign and payload are not part of the contract
// (test/helpers/parity.ts).

const HALF = 1, ONE = 2, TWO = 4;

import { interiorHi, interiorLo, loadStrided, tapCount, tapFirst, tapPadded } from './window';

// ---------------------------------------------------------------------------------------------
// The elementwise steps, on four lanes (edge columns use lane 0 of a splat, so they run the very
// same operations).

/** `powf(v, k/2)` of the reference for k in {HALF, ONE, TWO}. */
@inline function powK(v: v128, k: i32): v128 {
  if (k == TWO) return f32x4.mul(v, v);
  if (k == HALF) return f32x4.sqrt(v);
  return v;
}

/** `pow`'s backward `g · e · v^(e − 1)` rounded as the reference: e = 2: g·(2·v); 1: g·1; 0.5: g·(0.5·(1/√v)). */
@inline function powGradK(g: v128, v: v128, k: i32): v128 {
  if (k == TWO) return f32x4.mul(g, f32x4.mul(f32x4.splat(2), v));
  if (k == HALF) return f32x4.mul(g, f32x4.mul(f32x4.splat(0.5), f32x4.div(f32x4.splat(1), f32x4.sqrt(v))));
  return f32x4.mul(g, f32x4.splat(1));
}

/** -1, 0 or 1 (+0 for ±0 and NaN) from a and |a|: ±1 carries a's sign bit, and lanes with |a| > 0 keep it. */
@inline function sgn(a: v128, absA: v128): v128 {
  return v128.and(v128.or(v128.and(a, f32x4.splat(-0.0)), f32x4.splat(1)), f32x4.gt(absA, f32x4.splat(0)));
}

/** The tap term: pow(x, p), or pow(|x|, p) for the true norm (|x|·|x| is x·x). */
@inline function term(v: v128, trueNorm: i32, eK: i32): v128 {
  return powK(trueNorm != 0 && eK != TWO ? f32x4.abs(v) : v, eK);
}

/**
 * Whether every term is +0 or more (or NaN): then a sum from +0 may start from its first term,
 * and the pooled value a is never −0.
 */
@inline function termsNonNegative(trueNorm: i32, eK: i32): bool {
  return trueNorm != 0 || eK == TWO;
}

/**
 * y from the pooled value a: pow(sign(a)·relu(|a|)·kv, 1/p), or pow(a, 1/p) for the true norm.
 * relu(|a|) is |a|, and sign(a)·|a| is a itself but +0 for −0 (and NaN for NaN): a + 0.
 */
@inline function finish(a: v128, kv: v128, trueNorm: i32, eK: i32, eiK: i32): v128 {
  if (trueNorm != 0) return powK(a, eiK);
  return powK(f32x4.mul(termsNonNegative(trueNorm, eK) ? a : f32x4.add(a, f32x4.splat(0)), kv), eiK);
}

/**
 * ∂L/∂a from ∂L/∂y back through the chain (lp_pool_bwd__ref), but for its last step: with
 * s = sign(a), r = |a| and g = pow's and kv's backward of ∂L/∂y at m = (s·r)·kv = (a + 0)·kv, the
 * reference computes 0 + (r ≤ 0 ? +0 : g·s)·s. Where s = ±1, (g·s)·s is g exactly; where a = ±0
 * it is +0; where a is NaN (s = 0, r NaN) it is 0 + g·0 — and g is NaN there too unless 1/p = 1.
 * So: a == 0 ? +0 : 0 + g·(a == a ? 1 : 0). The leading `0 +` is left to the caller, whose
 * delta (this over the divisor) is added to +0 anyway — (0 + v)/d and 0 + v/d are the same bits.
 */
@inline function gradPooled(gy: v128, a: v128, kv: v128, trueNorm: i32, eK: i32, eiK: i32): v128 {
  if (trueNorm != 0) return powGradK(gy, a, eiK);
  const zero = f32x4.splat(0);
  const m = f32x4.mul(termsNonNegative(trueNorm, eK) ? a : f32x4.add(a, zero), kv);
  let g = f32x4.mul(powGradK(gy, m, eiK), kv);
  if (eiK == ONE) g = f32x4.mul(g, v128.and(f32x4.eq(a, a), f32x4.splat(1)));
  return v128.andnot(g, f32x4.eq(a, zero));
}

/**
 * ∂L/∂x from the pooled gradient gp accumulated at x: pow's backward, then for the true norm
 * abs's (times sign(x)). For p = 2 that is gp·(2·|x|)·sign(x) = gp·(2·(x + 0)): ±1 only flips the
 * sign of the rounded product, and at x = ±0 both are gp·(+0).
 */
@inline function gradInput(gp: v128, v: v128, trueNorm: i32, eK: i32): v128 {
  if (trueNorm == 0) return powGradK(gp, v, eK);
  if (eK == TWO) return powGradK(gp, f32x4.add(v, f32x4.splat(0)), eK);
  const absV = f32x4.abs(v);
  return f32x4.mul(powGradK(gp, absV, eK), sgn(v, absV));
}

@inline function lane0(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

@inline function covered(planes: i32, inH: i32, inW: i32, outH: i32, outW: i32, kH: i32, kW: i32, sH: i32, sW: i32,
  padH: i32, padW: i32, padEndH: i32, padEndW: i32, dilH: i32, dilW: i32, p2: i32): bool {
  return planes >= 0 && inH >= 1 && inW >= 1 && outH >= 1 && outW >= 1 && kH >= 1 && kW >= 1 &&
    sH >= 1 && sW >= 1 && dilH >= 1 && dilW >= 1 && padH >= 0 && padW >= 0 && padEndH >= 0 && padEndW >= 0 &&
    <i64>kH * <i64>kW <= (1 << 24) && (p2 == HALF || p2 == ONE || p2 == TWO);
}

// ---------------------------------------------------------------------------------------------
// The pooled value of one row of windows. Sums run from 0 over the taps in row-major order.

/** The sum of terms of window column c (scalar), over the divisor; a window without taps gives 0. */
@inline function pooledEdge(xp: usize, c: i32, hFirst: i32, hCount: i32, hPadded: i32, inW: i32, kW: i32, sW: i32,
  padW: i32, padEndW: i32, dilH: i32, dilW: i32, trueNorm: i32, eK: i32): f32 {
  const wStart = c * sW - padW;
  const wFirst = tapFirst(wStart, dilW);
  const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
  if (wCount == 0 || hCount == 0) return 0;
  let sum: f32 = 0;
  for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
    for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) {
      sum += lane0(term(f32x4.splat(load<f32>(xp + (<usize>(h * inW + w) << 2))), trueNorm, eK));
    }
  }
  const div: f32 = trueNorm != 0 ? <f32>1 : <f32>(hPadded * tapPadded(wStart, kW, dilW, inW, padEndW));
  return sum / div;
}

/** The pooled values of four interior window columns from ow (all their W taps inside the input). */
@inline function pooledInterior(xp: usize, ow: i32, hFirst: i32, hCount: i32, div: v128, inW: i32, kW: i32, sW: i32,
  padW: i32, dilH: i32, dilW: i32, trueNorm: i32, eK: i32): v128 {
  const w0 = ow * sW - padW;
  let sum = f32x4.splat(0);
  if (kW == 2 && sW == 2 && dilW == 1) {
    // k2s2 along W: each input row gives both taps of four windows (even and odd columns).
    for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
      const q = xp + (<usize>(h * inW + w0) << 2);
      const a = term(v128.load(q), trueNorm, eK);
      const b = term(v128.load(q, 16), trueNorm, eK);
      sum = f32x4.add(sum, v128.shuffle<f32>(a, b, 0, 2, 4, 6));
      sum = f32x4.add(sum, v128.shuffle<f32>(a, b, 1, 3, 5, 7));
    }
  } else {
    for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
      const row = xp + (<usize>(h * inW + w0) << 2);
      for (let j = 0, w = 0; j < kW; j++, w += dilW) {
        sum = f32x4.add(sum, term(loadStrided(row + (<usize>w << 2), sW), trueNorm, eK));
      }
    }
  }
  return f32x4.div(sum, div);
}

// ---------------------------------------------------------------------------------------------
// k2s2 with every window whole inside the input (no padding, no overhang): two rows give the four
// taps of four windows (even and odd columns), summed from +0 in the reference's order, over the
// divisor 4 — as a product with 0.25, the same correctly rounded quotient — or 1 for the true norm.
// Instantiated per exponent and definition (constant arguments), so the lane code has no branches.

@inline function k2s2Whole(inH: i32, inW: i32, outH: i32, outW: i32, kH: i32, kW: i32, sH: i32, sW: i32,
  padH: i32, padW: i32, dilH: i32, dilW: i32): bool {
  return kH == 2 && kW == 2 && sH == 2 && sW == 2 && padH == 0 && padW == 0 && dilH == 1 && dilW == 1 &&
    inH >= 2 * outH && inW >= 2 * outW;
}

/** The pooled value of one k2s2 window per lane from its four terms. */
@inline function pooledK2S2(t00: v128, t01: v128, t10: v128, t11: v128, trueNorm: i32, eK: i32): v128 {
  let sum = termsNonNegative(trueNorm, eK) ? t00 : f32x4.add(f32x4.splat(0), t00);
  sum = f32x4.add(sum, t01);
  sum = f32x4.add(sum, t10);
  sum = f32x4.add(sum, t11);
  return trueNorm != 0 ? sum : f32x4.mul(sum, f32x4.splat(0.25));
}

@inline function lpFwdK2S2(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32, trueNorm: i32, eK: i32, eiK: i32): void {
  const kv = f32x4.splat(4);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * <usize>(inH * inW)) << 2);
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const q = xp + (<usize>(2 * oh * inW) << 2);
      const r = q + (<usize>inW << 2);
      const op = out + (o << 2);
      let ow = 0;
      for (; ow + 4 <= outW; ow += 4) {
        const c = <usize>(2 * ow) << 2;
        const a0 = term(v128.load(q + c), trueNorm, eK), b0 = term(v128.load(q + c, 16), trueNorm, eK);
        const a1 = term(v128.load(r + c), trueNorm, eK), b1 = term(v128.load(r + c, 16), trueNorm, eK);
        const a = pooledK2S2(v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), v128.shuffle<f32>(a0, b0, 1, 3, 5, 7),
          v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), v128.shuffle<f32>(a1, b1, 1, 3, 5, 7), trueNorm, eK);
        v128.store(op + (<usize>ow << 2), finish(a, kv, trueNorm, eK, eiK));
      }
      for (; ow < outW; ow++) {
        const c = <usize>(2 * ow) << 2;
        const a = pooledK2S2(term(f32x4.splat(load<f32>(q + c)), trueNorm, eK), term(f32x4.splat(load<f32>(q + c, 4)), trueNorm, eK),
          term(f32x4.splat(load<f32>(r + c)), trueNorm, eK), term(f32x4.splat(load<f32>(r + c, 4)), trueNorm, eK), trueNorm, eK);
        store<f32>(op + (<usize>ow << 2), lane0(finish(a, kv, trueNorm, eK, eiK)));
      }
    }
  }
}

/**
 * Windows never overlap, so each input element gets 0 + delta from its window, or nothing (the
 * right column and bottom row of an odd size): gradIn is written once, from registers.
 */
@inline function lpBwdK2S2(x: usize, gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  trueNorm: i32, eK: i32, eiK: i32): void {
  const kv = f32x4.splat(4), zero = f32x4.splat(0), quarter = f32x4.splat(0.25);
  const inPlane = inH * inW;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const off = (<usize>p * <usize>inPlane) << 2;
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const rowOff = off + (<usize>(2 * oh * inW) << 2);
      const q = x + rowOff, r = q + (<usize>inW << 2);
      const gq = gradIn + rowOff, gr = gq + (<usize>inW << 2);
      const go = gradOut + (o << 2);
      let ow = 0;
      for (; ow + 4 <= outW; ow += 4) {
        const c = <usize>(2 * ow) << 2;
        const x0 = v128.load(q + c), y0 = v128.load(q + c, 16), x1 = v128.load(r + c), y1 = v128.load(r + c, 16);
        const a0 = term(x0, trueNorm, eK), b0 = term(y0, trueNorm, eK), a1 = term(x1, trueNorm, eK), b1 = term(y1, trueNorm, eK);
        const a = pooledK2S2(v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), v128.shuffle<f32>(a0, b0, 1, 3, 5, 7),
          v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), v128.shuffle<f32>(a1, b1, 1, 3, 5, 7), trueNorm, eK);
        const gA = gradPooled(v128.load(go + (<usize>ow << 2)), a, kv, trueNorm, eK, eiK);
        const d = f32x4.add(zero, trueNorm != 0 ? gA : f32x4.mul(gA, quarter));
        const lo = v128.shuffle<f32>(d, d, 0, 0, 1, 1), hi = v128.shuffle<f32>(d, d, 2, 2, 3, 3);
        v128.store(gq + c, gradInput(lo, x0, trueNorm, eK));
        v128.store(gq + c, gradInput(hi, y0, trueNorm, eK), 16);
        v128.store(gr + c, gradInput(lo, x1, trueNorm, eK));
        v128.store(gr + c, gradInput(hi, y1, trueNorm, eK), 16);
      }
      for (; ow < outW; ow++) {
        const c = <usize>(2 * ow) << 2;
        const x00 = f32x4.splat(load<f32>(q + c)), x01 = f32x4.splat(load<f32>(q + c, 4));
        const x10 = f32x4.splat(load<f32>(r + c)), x11 = f32x4.splat(load<f32>(r + c, 4));
        const a = pooledK2S2(term(x00, trueNorm, eK), term(x01, trueNorm, eK), term(x10, trueNorm, eK), term(x11, trueNorm, eK), trueNorm, eK);
        const gA = gradPooled(f32x4.splat(load<f32>(go + (<usize>ow << 2))), a, kv, trueNorm, eK, eiK);
        const d = f32x4.add(zero, trueNorm != 0 ? gA : f32x4.mul(gA, quarter));
        store<f32>(gq + c, lane0(gradInput(d, x00, trueNorm, eK)));
        store<f32>(gq + c, lane0(gradInput(d, x01, trueNorm, eK)), 4);
        store<f32>(gr + c, lane0(gradInput(d, x10, trueNorm, eK)));
        store<f32>(gr + c, lane0(gradInput(d, x11, trueNorm, eK)), 4);
      }
      const rest = inW - 2 * outW; // a right column no window reaches
      if (rest > 0) {
        const c = <usize>(2 * outW) << 2;
        gradRow(0, true, q + c, gq + c, rest, trueNorm, eK);
        gradRow(0, true, r + c, gr + c, rest, trueNorm, eK);
      }
    }
    for (let h = 2 * outH; h < inH; h++) {
      const rowOff = off + (<usize>(h * inW) << 2);
      gradRow(0, true, x + rowOff, gradIn + rowOff, inW, trueNorm, eK);
    }
  }
}


// One function per exponent and definition: inside each, the constants reach every branch above
// (had the six bodies shared one function, the optimizer could fold them into one, and the lanes
// would test the exponent at run time).
function lpFwdK2S2_2(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 0, TWO, HALF); }
function lpFwdK2S2_1(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 0, ONE, ONE); }
function lpFwdK2S2_05(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 0, HALF, TWO); }
function lpFwdK2S2_2t(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 1, TWO, HALF); }
function lpFwdK2S2_1t(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 1, ONE, ONE); }
function lpFwdK2S2_05t(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpFwdK2S2(x, out, planes, inH, inW, outH, outW, 1, HALF, TWO); }
function lpBwdK2S2_2(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 0, TWO, HALF); }
function lpBwdK2S2_1(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 0, ONE, ONE); }
function lpBwdK2S2_05(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 0, HALF, TWO); }
function lpBwdK2S2_2t(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 1, TWO, HALF); }
function lpBwdK2S2_1t(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 1, ONE, ONE); }
function lpBwdK2S2_05t(x: usize, gy: usize, gi: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void { lpBwdK2S2(x, gy, gi, planes, inH, inW, outH, outW, 1, HALF, TWO); }

// ---------------------------------------------------------------------------------------------

/** out: planes × outH × outW. `p2` is twice the norm (1, 2 or 4); trueNorm 0 or 1. */
export function lp_pool2d_fwd(
  x: usize, out: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, padEndH: i32, padEndW: i32,
  dilH: i32, dilW: i32, trueNorm: i32, p2: i32,
): i32 {
  if (!covered(planes, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, padEndH, padEndW, dilH, dilW, p2)) return 0;
  if (k2s2Whole(inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW)) {
    if (trueNorm == 0) {
      if (p2 == TWO) lpFwdK2S2_2(x, out, planes, inH, inW, outH, outW);
      else if (p2 == ONE) lpFwdK2S2_1(x, out, planes, inH, inW, outH, outW);
      else lpFwdK2S2_05(x, out, planes, inH, inW, outH, outW);
    } else {
      if (p2 == TWO) lpFwdK2S2_2t(x, out, planes, inH, inW, outH, outW);
      else if (p2 == ONE) lpFwdK2S2_1t(x, out, planes, inH, inW, outH, outW);
      else lpFwdK2S2_05t(x, out, planes, inH, inW, outH, outW);
    }
    return 1;
  }
  const eK = p2, eiK = 4 / p2;
  const kv = f32x4.splat(<f32>(kH * kW));
  const inPlane = inH * inW;
  const owLo = min<i32>(interiorLo(padW, sW), outW);
  const owHi = max<i32>(interiorHi(inW, kW, dilW, padW, sW, outW), owLo);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * <usize>inPlane) << 2);
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const hStart = oh * sH - padH;
      const hFirst = tapFirst(hStart, dilH);
      const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
      const hPadded = tapPadded(hStart, kH, dilH, inH, padEndH);
      const op = out + (o << 2);
      let ow = owLo;
      if (hCount > 0) {
        const div = f32x4.splat(trueNorm != 0 ? <f32>1 : <f32>(hPadded * kW));
        for (; ow + 4 <= owHi; ow += 4) {
          const a = pooledInterior(xp, ow, hFirst, hCount, div, inW, kW, sW, padW, dilH, dilW, trueNorm, eK);
          v128.store(op + (<usize>ow << 2), finish(a, kv, trueNorm, eK, eiK));
        }
      }
      for (let c = 0; c < outW; c++) {
        if (c == owLo) c = ow;
        if (c >= outW) break;
        const a = pooledEdge(xp, c, hFirst, hCount, hPadded, inW, kW, sW, padW, padEndW, dilH, dilW, trueNorm, eK);
        store<f32>(op + (<usize>c << 2), lane0(finish(f32x4.splat(a), kv, trueNorm, eK, eiK)));
      }
    }
  }
  return 1;
}

/** Scratch bytes lp_pool2d_bwd needs per call: a row of deltas and a row of the input width (and slack). */
export function lp_pool2d_bwd_work_bytes(inW: i32, outW: i32): i32 {
  return (outW + 4 + inW + 4) << 2;
}

/**
 * One run of n input elements: gradIn = ∂L/∂x for the accumulated pooled gradients at `gp` (which
 * may be gradIn itself), or for 0 where no window reaches (`fromZero`).
 */
@inline function gradRow(gp: usize, fromZero: bool, xr: usize, gi: usize, n: i32, trueNorm: i32, eK: i32): void {
  const zero = f32x4.splat(0);
  let w = 0;
  for (; w + 4 <= n; w += 4) {
    const q = <usize>w << 2;
    v128.store(gi + q, gradInput(fromZero ? zero : v128.load(gp + q), v128.load(xr + q), trueNorm, eK));
  }
  for (; w < n; w++) {
    const q = <usize>w << 2;
    const g = fromZero ? zero : f32x4.splat(load<f32>(gp + q));
    store<f32>(gi + q, lane0(gradInput(g, f32x4.splat(load<f32>(xr + q)), trueNorm, eK)));
  }
}

/**
 * gradIn (planes × inH × inW, overwritten) from gradOut and the input. Per row of windows, the
 * deltas ∂L/∂a / divisor go to a row of scratch; then
 * - windows that cannot overlap (stride ≥ effective kernel on both axes): every input element
 *   gets at most one delta, 0 + delta, so each input row is written once — from a row holding
 *   0 + delta under the window taps and 0 elsewhere, or from zeros where no window reaches;
 * - overlapping windows: the plane is zeroed, deltas are added to their taps one at a time in the
 *   reference's order (outputs row-major), and the plane is finished in a last pass.
 */
export function lp_pool2d_bwd(
  x: usize, gradOut: usize, gradIn: usize, work: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, padEndH: i32, padEndW: i32,
  dilH: i32, dilW: i32, trueNorm: i32, p2: i32,
): i32 {
  if (!covered(planes, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, padEndH, padEndW, dilH, dilW, p2)) return 0;
  if (k2s2Whole(inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW)) {
    if (trueNorm == 0) {
      if (p2 == TWO) lpBwdK2S2_2(x, gradOut, gradIn, planes, inH, inW, outH, outW);
      else if (p2 == ONE) lpBwdK2S2_1(x, gradOut, gradIn, planes, inH, inW, outH, outW);
      else lpBwdK2S2_05(x, gradOut, gradIn, planes, inH, inW, outH, outW);
    } else {
      if (p2 == TWO) lpBwdK2S2_2t(x, gradOut, gradIn, planes, inH, inW, outH, outW);
      else if (p2 == ONE) lpBwdK2S2_1t(x, gradOut, gradIn, planes, inH, inW, outH, outW);
      else lpBwdK2S2_05t(x, gradOut, gradIn, planes, inH, inW, outH, outW);
    }
    return 1;
  }
  const eK = p2, eiK = 4 / p2;
  const kv = f32x4.splat(<f32>(kH * kW));
  const zero = f32x4.splat(0);
  const inPlane = inH * inW;
  const disjoint = sH >= (kH - 1) * dilH + 1 && sW >= (kW - 1) * dilW + 1;
  const deltas = work;
  const layer = work + (<usize>(outW + 4) << 2);
  const owLo = min<i32>(interiorLo(padW, sW), outW);
  const owHi = max<i32>(interiorHi(inW, kW, dilW, padW, sW, outW), owLo);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const off = (<usize>p * <usize>inPlane) << 2;
    const xp = x + off, gi = gradIn + off;
    if (!disjoint) memory.fill(gi, 0, <usize>inPlane << 2);
    let nextRow = 0; // disjoint: the first input row not yet written
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const hStart = oh * sH - padH;
      const hFirst = tapFirst(hStart, dilH);
      const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
      if (hCount == 0) continue; // no tap inside the input: nothing flows back
      const hPadded = tapPadded(hStart, kH, dilH, inH, padEndH);
      const go = gradOut + (o << 2);

      // deltas[c] = ∂L/∂a / divisor for every window column c with taps.
      const div = f32x4.splat(trueNorm != 0 ? <f32>1 : <f32>(hPadded * kW));
      let ow = owLo;
      for (; ow + 4 <= owHi; ow += 4) {
        const a = pooledInterior(xp, ow, hFirst, hCount, div, inW, kW, sW, padW, dilH, dilW, trueNorm, eK);
        const q = <usize>ow << 2;
        v128.store(deltas + q, f32x4.div(gradPooled(v128.load(go + q), a, kv, trueNorm, eK, eiK), div));
      }
      for (let c = 0; c < outW; c++) {
        if (c == owLo) c = ow;
        if (c >= outW) break;
        const a = pooledEdge(xp, c, hFirst, hCount, hPadded, inW, kW, sW, padW, padEndW, dilH, dilW, trueNorm, eK);
        const wStart = c * sW - padW;
        const d: f32 = trueNorm != 0 ? <f32>1 : <f32>(hPadded * tapPadded(wStart, kW, dilW, inW, padEndW));
        const q = <usize>c << 2;
        store<f32>(deltas + q, lane0(f32x4.div(gradPooled(f32x4.splat(load<f32>(go + q)), f32x4.splat(a), kv, trueNorm, eK, eiK), f32x4.splat(d))));
      }

      if (disjoint) {
        // The row of pooled gradients: 0 + delta under each window's taps, 0 elsewhere.
        for (let w = 0; w < inW; w += 4) v128.store(layer + (<usize>w << 2), zero);
        let c = owLo;
        if (kW == 2 && sW == 2 && dilW == 1) {
          for (; c + 4 <= owHi; c += 4) {
            const d = f32x4.add(zero, v128.load(deltas + (<usize>c << 2)));
            const q = layer + (<usize>(c * 2 - padW) << 2);
            v128.store(q, v128.shuffle<f32>(d, d, 0, 0, 1, 1));
            v128.store(q, v128.shuffle<f32>(d, d, 2, 2, 3, 3), 16);
          }
        }
        for (let cc = 0; cc < outW; cc++) {
          if (cc == owLo) cc = c;
          if (cc >= outW) break;
          const wStart = cc * sW - padW;
          const wFirst = tapFirst(wStart, dilW);
          const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
          const d: f32 = <f32>0 + load<f32>(deltas + (<usize>cc << 2));
          for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) store<f32>(layer + (<usize>w << 2), d);
        }
        // Rows before this window row's last tap: tap rows from the layer, the others from zeros.
        const hLast = hFirst + (hCount - 1) * dilH;
        for (let h = nextRow; h <= hLast; h++) {
          const reached = h >= hFirst && (h - hFirst) % dilH == 0;
          const r = <usize>(h * inW) << 2;
          gradRow(layer, !reached, xp + r, gi + r, inW, trueNorm, eK);
        }
        nextRow = hLast + 1;
      } else {
        for (let c = 0; c < outW; c++) {
          const wStart = c * sW - padW;
          const wFirst = tapFirst(wStart, dilW);
          const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
          const d = load<f32>(deltas + (<usize>c << 2));
          for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
            for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) {
              const q = gi + (<usize>(h * inW + w) << 2);
              store<f32>(q, load<f32>(q) + d);
            }
          }
        }
      }
    }
    if (disjoint) {
      for (let h = nextRow; h < inH; h++) {
        const r = <usize>(h * inW) << 2;
        gradRow(layer, true, xp + r, gi + r, inW, trueNorm, eK);
      }
    } else {
      gradRow(gi, false, xp, gi, inPlane, trueNorm, eK);
    }
  }
  return 1;
}
