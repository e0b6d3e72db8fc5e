// poolkit's WebAssembly SIMD kernels (AssemblyScript 0.28, 128-bit SIMD, no relaxed SIMD).
// Built by `npm run build:wasm` into src/kernels/wasm/kernels_wasm.ts; called through
// src/kernels/wasm/{pool,gemm}.ts, each the fast twin of a reference kernel in src/kernels/ref/.
//
// Conventions:
// - every pointer argument is a BYTE address in this module's linear memory (JS owns the memory:
//   src/kernels/wasm/loader.ts allocates it; nothing here allocates);
// - tensors are dense row-major float32 (indices int32), one plane after another;
// - a kernel returns 1 when it ran and 0 when it declines (the caller then runs the reference);
// - results are bit-identical to the reference kernels wherever the reference fixes the order of
//   float32 operations (pooling): SIMD lanes run ACROSS OUTPUT COLUMNS, each lane doing exactly
//   the reference's sequence of compares or adds for its own output. GEMM reorders its sums.
// - vector loads may read up to 24 bytes past the last element they use; the allocator keeps
//   32 bytes of slack after every block.

import { interiorHi, interiorLo, loadStrided, tapCount, tapFirst, tapPadded } from './window';

// ---------------------------------------------------------------------------------------------
// Max pooling, 2-D. PyTorch's rule (ATen MaxPoolKernel.cpp): start from −inf with the index of
// the first tap inside the input, take `v > max || v != v` in row-major tap order — the first
// maximum wins ties, the last NaN wins. Values are moved with bitselect, never f32x4.max, so
// NaN payloads and −0 pass through unchanged.

/**
 * out/indices: planes × outH × outW; indices are offsets within the input plane (h·inW + w).
 * indices = 0: values only (a forward that no backward will need), skipping the index work.
 */
export function max_pool2d_fwd(
  x: usize, out: usize, indices: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32,
): i32 {
  if (planes < 0 || inH < 1 || inW < 1 || outH < 1 || outW < 1 || kH < 1 || kW < 1 ||
      sH < 1 || sW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0) return 0;
  if (kH == 2 && kW == 2 && sH == 2 && sW == 2 && padH == 0 && padW == 0 && dilH == 1 && dilW == 1 &&
      inH >= 2 * outH && inW >= 2 * outW) {
    if (indices != 0) maxPool2dK2S2(x, out, indices, planes, inH, inW, outH, outW, true);
    else maxPool2dK2S2(x, out, 0, planes, inH, inW, outH, outW, false);
    return 1;
  }
  if (kH == 3 && kW == 3 && sH == 2 && sW == 2 && padH <= 1 && padW <= 1 && dilH == 1 && dilW == 1) {
    if (indices != 0) maxPool2dK3S2(x, out, indices, planes, inH, inW, outH, outW, padH, padW, true);
    else maxPool2dK3S2(x, out, 0, planes, inH, inW, outH, outW, padH, padW, false);
    return 1;
  }
  if (indices != 0) maxPool2d(x, out, indices, planes, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW, true);
  else maxPool2d(x, out, 0, planes, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW, false);
  return 1;
}

/**
 * 1 / d when it is exact — d a power of two whose reciprocal is a normal float — else 0. Then
 * x · (1 / d) and x / d are the same correctly rounded x·2⁻ᵉ, bit for bit, for every x.
 */
@inline function exactReciprocal(d: f32): f32 {
  const bits = reinterpret<u32>(d);
  const exp = (bits >> 23) & 0xff;
  return (bits & 0x7fffff) == 0 && exp >= 1 && exp <= 253 ? 1 / d : 0;
}

/** Stores the first `n` (1–3) lanes of `v` at `p`. */
@inline function storeLanes(p: usize, v: v128, n: i32): void {
  store<u32>(p, i32x4.extract_lane(v, 0));
  if (n > 1) store<u32>(p, i32x4.extract_lane(v, 1), 4);
  if (n > 2) store<u32>(p, i32x4.extract_lane(v, 2), 8);
}

/**
 * k2s2 max pooling without padding, every window inside the input (floor mode): four windows
 * per step from two rows' even and odd columns; a row's last 1–3 windows are computed the same
 * way (the loads may run up to 24 bytes past the row, within the plane or the block's slack) and
 * only their lanes stored.
 */
@inline function maxPool2dK2S2(x: usize, out: usize, indices: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32, withIdx: bool): void {
  const lane2 = i32x4(0, 2, 4, 6);
  // A window's last tap index minus its second-to-last: where only the last two taps' maximum
  // (the prefix maximum of three) equals the window's, the winner is one before the last; where
  // the first two's does too, inW before that — as masks, −1 and 1 − inW.
  const upLeft = i32x4.splat(1 - inW);
  const rowBytes = <usize>inW << 2, fullEnd = <usize>(outW & ~3) << 3, tail = outW & 3;
  const eight = i32x4.splat(8);
  const inPlaneBytes = <usize>(inH * inW) << 2, outPlaneBytes = <usize>(outH * outW) << 2, outRowBytes = <usize>outW << 2;
  // Without NaN the rule is pmax (`v > best ? v : best`): the window's maximum is the first tap
  // holding it, and its index the first tap equal to it — found from the prefix maxima (each
  // equal to the maximum where the winner is among its taps). A plane's loads are summed: a NaN
  // sum (a NaN tap, or ∞ − ∞) has the plane redone tap by tap with the rule. Two planes at a
  // time, row by row in turn (planes k and k + half, then an odd last one alone): two streams.
  const half = planes >> 1;
  for (let k = 0; k < planes - half; k++) {
    const pA = k < half ? k : planes - 1;
    const xA = x + <usize>pA * inPlaneBytes, oA = out + <usize>pA * outPlaneBytes, iA = indices + <usize>pA * outPlaneBytes;
    const xB = xA + <usize>half * inPlaneBytes, oB = oA + <usize>half * outPlaneBytes, iB = iA + <usize>half * outPlaneBytes;
    let sumA = f32x4.splat(0), sumB = sumA;
    for (let oh = 0; oh < outH; oh++) {
      const i = <usize>(2 * oh) * rowBytes, o = <usize>oh * outRowBytes;
      // The last tap's index of the row's first four windows.
      const last = i32x4.add(i32x4.splat(2 * oh * inW + inW + 1), lane2);
      sumA = f32x4.add(sumA, k2s2MaxRow(xA + i, oA + o, iA + o, last, rowBytes, fullEnd, tail, upLeft, eight, withIdx));
      if (k < half) sumB = f32x4.add(sumB, k2s2MaxRow(xB + i, oB + o, iB + o, last, rowBytes, fullEnd, tail, upLeft, eight, withIdx));
    }
    if (v128.any_true(f32x4.ne(sumA, sumA))) k2s2MaxPlaneByRule(xA, oA, iA, inW, outH, outW, withIdx);
    if (k < half && v128.any_true(f32x4.ne(sumB, sumB))) k2s2MaxPlaneByRule(xB, oB, iB, inW, outH, outW, withIdx);
  }
}

/** One output row of maxPool2dK2S2, NaN-free: four windows a step, then the last 1–3; returns the sum of the taps. */
@inline function k2s2MaxRow(row: usize, po: usize, pi: usize, last: v128, rowBytes: usize, fullEnd: usize, tail: i32,
  upLeft: v128, eight: v128, withIdx: bool): v128 {
  let sum = f32x4.splat(0);
  let q = row;
  for (const end = row + fullEnd; q < end; q += 32, po += 16, pi += 16, last = i32x4.add(last, eight)) {
    sum = f32x4.add(sum, k2s2MaxGroup(q, rowBytes, last, upLeft, po, pi, 4, withIdx));
  }
  if (tail > 0) sum = f32x4.add(sum, k2s2MaxGroup(q, rowBytes, last, upLeft, po, pi, tail, withIdx));
  return sum;
}

/** A k2s2 plane (outputs at op, indices at ip) tap by tap with the reference's rule. */
function k2s2MaxPlaneByRule(xp: usize, op: usize, ip: usize, inW: i32, outH: i32, outW: i32, withIdx: bool): void {
  const lane2 = i32x4(0, 2, 4, 6), down = i32x4.splat(inW);
  for (let oh = 0, o: usize = 0; oh < outH; oh++, o += <usize>outW) {
    const rowIdx = 2 * oh * inW;
    const row = xp + (<usize>rowIdx << 2);
    for (let ow = 0; ow < outW; ow += 4) {
      const q = row + (<usize>(2 * ow) << 2);
      const i0 = i32x4.add(i32x4.splat(rowIdx + 2 * ow), lane2);
      k2s2ByRule(q, q + (<usize>inW << 2), i0, i32x4.add(i0, down), op + ((o + <usize>ow) << 2), ip + ((o + <usize>ow) << 2),
        min<i32>(4, outW - ow), withIdx);
    }
  }
}

/**
 * Four k2s2 windows, NaN-free, their rows at q and q + rowBytes; `last`: each one's last tap
 * index. Stores the first n (1–4) values (and indices) at op (ip); returns the sum of the taps.
 */
@inline function k2s2MaxGroup(q: usize, rowBytes: usize, last: v128, upLeft: v128, op: usize, ip: usize, n: i32, withIdx: bool): v128 {
  const r = q + rowBytes;
  const a0 = v128.load(q), b0 = v128.load(q, 16), a1 = v128.load(r), b1 = v128.load(r, 16);
  const t0 = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6);
  const t1 = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
  const t2 = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6);
  const t3 = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
  const m1 = f32x4.pmax(t0, t1), m2 = f32x4.pmax(m1, t2), best = f32x4.pmax(m2, t3);
  if (withIdx) {
    storeN(ip, i32x4.add(i32x4.add(i32x4.add(last, f32x4.eq(m2, best)), v128.and(f32x4.eq(m1, best), upLeft)), f32x4.eq(t0, best)), n);
  }
  storeN(op, best, n);
  return f32x4.add(f32x4.add(a0, b0), f32x4.add(a1, b1));
}

/**
 * Four k2s2 windows whose rows start at q and r (8 floats each: even columns the first taps,
 * odd ones the second), tap by tap with the reference's rule in row-major order; i0 / i2: each
 * window's first tap index in either row. Stores the first n (1–4) values (and indices) at op (ip).
 */
@inline function k2s2ByRule(q: usize, r: usize, i0: v128, i2: v128, op: usize, ip: usize, n: i32, withIdx: bool): void {
  const negInf = f32x4.splat(-Infinity), one = i32x4.splat(1);
  const a0 = v128.load(q), b0 = v128.load(q, 16), a1 = v128.load(r), b1 = v128.load(r, 16);
  const t0 = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6);
  const t1 = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
  const t2 = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6);
  const t3 = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
  let bestIdx = i0; // the first tap's index, whether or not it is taken
  let take = maxTap(t0, negInf);
  let best = v128.bitselect(t0, negInf, take);
  take = maxTap(t1, best);
  best = v128.bitselect(t1, best, take);
  bestIdx = v128.bitselect(i32x4.add(i0, one), bestIdx, take);
  take = maxTap(t2, best);
  best = v128.bitselect(t2, best, take);
  bestIdx = v128.bitselect(i2, bestIdx, take);
  take = maxTap(t3, best);
  best = v128.bitselect(t3, best, take);
  bestIdx = v128.bitselect(i32x4.add(i2, one), bestIdx, take);
  storeN(op, best, n);
  if (withIdx) storeN(ip, bestIdx, n);
}

/** Stores the first n (1–4) lanes of `v` at `p`. */
@inline function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else storeLanes(p, v, n);
}

/**
 * k3s2 max pooling, dilation 1, padding 0 or 1 (ResNet's stem, AlexNet, GoogLeNet), any size and
 * ceil mode. The rule is separable: taking each input row's winner (its taps in column order)
 * and then the rows' winners in row order with the same rule gives the row-major scan's winner —
 * the first row holding the maximum, and that row's first maximum; the last NaN, as NaN wins
 * every later tap. Without NaN the rule is pmax, with `gt` as its take mask — or, for a row's
 * winner, its first tap equal to the row's maximum: the same tap.
 *
 * Output row by output row, eight windows a step (then four, then the last 1–3 tap by tap): a
 * window takes the input rows hs + 1 and hs + 2 (hs = 2·oh − padH) and the row hs it shares
 * with the window above, whose winners that window left in this output row — so the input is
 * read once, in order, and the output row is written twice in the same cache lines. The taps
 * loaded are summed: a NaN sum (a NaN tap, or ∞ − ∞) has the output row, and the next one, which
 * shares a row with it, redone tap by tap with the rule itself (maxWindow).
 */
@inline function maxPool2dK3S2(x: usize, out: usize, indices: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  padH: i32, padW: i32, withIdx: bool): void {
  // Columns [0, owEnd) have their right tap inside the input: eight at a time up to pairEnd,
  // then four up to quadEnd (fewer than four: none). With padding 1, column 0's left tap is padding.
  const owEnd = inW - 3 + padW < 0 ? 0 : min<i32>(outW, (inW - 3 + padW) / 2 + 1);
  const pairEnd = owEnd & ~7;
  const quadEnd = owEnd - pairEnd >= 4 ? pairEnd + 4 : pairEnd;
  // Rows [0, ohEnd) have their last tap inside the input.
  const ohEnd = inH - 3 + padH < 0 ? 0 : min<i32>(outH, (inH - 3 + padH) / 2 + 1);
  const inPlane = inH * inW;
  const rowBytes = <usize>inW << 2, outRowBytes = <usize>outW << 2;
  const down = i32x4.splat(inW);
  // Two planes at a time, row by row in turn — planes k and k + half, then an odd last plane
  // alone: two input streams in flight instead of one (from memory, the forward with indices is
  // ~15 % faster so; computing in cache, the same).
  const half = planes >> 1, outPlaneBytes = <usize>(outH * outW) << 2;
  for (let k = 0; k < planes - half; k++) {
    const pA = k < half ? k : planes - 1;
    const xA = x + ((<usize>pA * <usize>inPlane) << 2), oA = out + <usize>pA * outPlaneBytes, iA = indices + <usize>pA * outPlaneBytes;
    const xB = xA + ((<usize>half * <usize>inPlane) << 2), oB = oA + <usize>half * outPlaneBytes, iB = iA + <usize>half * outPlaneBytes;
    let stateA = 0, stateB = 0;
    for (let oh = 0; oh < outH; oh++) {
      stateA = k3s2OutputRow(xA, oA, iA, oh, stateA, inH, inW, outH, outW, padH, padW, pairEnd, quadEnd, ohEnd, rowBytes, outRowBytes, down, withIdx);
      if (k < half) {
        stateB = k3s2OutputRow(xB, oB, iB, oh, stateB, inH, inW, outH, outW, padH, padW, pairEnd, quadEnd, ohEnd, rowBytes, outRowBytes, down, withIdx);
      }
    }
  }
}

/** k3s2OutputRow's state between rows: row hs's winners are in this output row; the row above summed to NaN. */
const CARRIED = 1, NAN_ABOVE = 2;

/**
 * Output row `oh` of the k3s2 plane at xp (outputs at op0, indices at ip0), given the state the
 * row above left (CARRIED | NAN_ABOVE); returns the state for the row below.
 */
@inline function k3s2OutputRow(xp: usize, op0: usize, ip0: usize, oh: i32, state: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  padH: i32, padW: i32, pairEnd: i32, quadEnd: i32, ohEnd: i32, rowBytes: usize, outRowBytes: usize, down: v128, withIdx: bool): i32 {
  const carried = (state & CARRIED) != 0, nanAbove = (state & NAN_ABOVE) != 0;
  const hs = 2 * oh - padH;
  const o = <usize>(oh * outW) << 2;
  const po = op0 + o, pi = ip0 + o;
  const next = oh + 1 < outH;
  let s = f32x4.splat(0);
  let s0: f32 = 0; // column 0, the left tap of window 0 without padding (a splat load, not summed)
  let hLast = hs + 2;
  if (quadEnd > 0 && carried && oh < ohEnd) {
    const q = xp + (<usize>((hs + 1) * inW - padW + 1) << 2);
    const right = i32x4.add(i32x4.splat((hs + 1) * inW - padW + 2), i32x4(0, 2, 4, 6));
    let ow = 0;
    if (padW == 1) {
      if (pairEnd > 0) {
        s = f32x4.add(s, k3s2Step(q, po, pi, right, down, rowBytes, outRowBytes, next, true, true, withIdx));
        ow = 8;
      } else {
        s = f32x4.add(s, k3s2Step(q, po, pi, right, down, rowBytes, outRowBytes, next, false, true, withIdx));
        ow = 4;
      }
    } else {
      s0 = load<f32>(q - 4) + load<f32>(q + rowBytes - 4);
    }
    for (; ow < pairEnd; ow += 8) {
      s = f32x4.add(s, k3s2Step(q + (<usize>ow << 3), po + (<usize>ow << 2), pi + (<usize>ow << 2), i32x4.add(right, i32x4.splat(2 * ow)), down,
        rowBytes, outRowBytes, next, true, false, withIdx));
    }
    if (ow < quadEnd) {
      s = f32x4.add(s, k3s2Step(q + (<usize>ow << 3), po + (<usize>ow << 2), pi + (<usize>ow << 2), i32x4.add(right, i32x4.splat(2 * ow)), down,
        rowBytes, outRowBytes, next, false, false, withIdx));
    }
  } else if (quadEnd > 0) {
    // A window with fewer rows (the padded top, the cut bottom) or none carried: row by row.
    const hFirst = hs < 0 ? 0 : hs;
    hLast = min<i32>(hs + 2, inH - 1);
    const h0 = carried && hFirst == hs ? hFirst + 1 : hFirst;
    const b = 1 - padW; // window 0's middle tap
    let ow = 0;
    if (padW == 1) {
      if (pairEnd > 0) {
        s = f32x4.add(s, k3s2Rows(xp, po, pi, b, h0, hFirst, hLast, inW, outRowBytes, next, true, true, withIdx));
        ow = 8;
      } else {
        s = f32x4.add(s, k3s2Rows(xp, po, pi, b, h0, hFirst, hLast, inW, outRowBytes, next, false, true, withIdx));
        ow = 4;
      }
    } else {
      for (let h = h0; h <= hLast; h++) s0 += load<f32>(xp + (<usize>(h * inW) << 2));
    }
    for (; ow < pairEnd; ow += 8) {
      s = f32x4.add(s, k3s2Rows(xp, po + (<usize>ow << 2), pi + (<usize>ow << 2), b + 2 * ow, h0, hFirst, hLast, inW, outRowBytes, next,
        true, false, withIdx));
    }
    if (ow < quadEnd) {
      s = f32x4.add(s, k3s2Rows(xp, po + (<usize>ow << 2), pi + (<usize>ow << 2), b + 2 * ow, h0, hFirst, hLast, inW, outRowBytes, next,
        false, false, withIdx));
    }
  }
  const nan = v128.any_true(f32x4.ne(s, s)) || s0 != s0;
  const hFirst = hs < 0 ? 0 : hs;
  const hCount = min<i32>(hs + 2, inH - 1) - hFirst + 1;
  // Columns past the vector ones, or every column of a row with a NaN near.
  for (let c = nan || nanAbove ? 0 : quadEnd; c < outW; c++) maxWindow(xp, po, pi, c, hFirst, hCount, inW, 3, 2, padW, 1, 1, withIdx);
  return (next && hLast == hs + 2 ? CARRIED : 0) | (nan ? NAN_ABOVE : 0);
}

/** The floats at even positions of the eight in a, b: a group's middle taps (its right taps: odds). */
@inline function evens(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 0, 2, 4, 6); }
@inline function odds(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 1, 3, 5, 7); }
/** [prev₃, cur₀, cur₁, cur₂]: a group's left taps from its right taps and the tap before them. */
@inline function shiftIn(prev: v128, cur: v128): v128 { return v128.shuffle<f32>(prev, cur, 3, 4, 5, 6); }

/**
 * One row's winner index for four windows, NaN-free: its first tap equal to the row's maximum
 * `v` — the right tap's index, − 1 where the maximum of the left two (`lm`) equals it, − 1 more
 * where the left one (`atLeft`: the mask, −1 or 0) does.
 */
@inline function rowWinner(right: v128, atLeft: v128, lm: v128, v: v128): v128 {
  return i32x4.add(i32x4.add(right, atLeft), f32x4.eq(lm, v));
}

/**
 * Takes a later row's winners into a window's: where its maximum is greater — its index, as a
 * later row's index is larger than any of an earlier row's (inW ≥ 3), by an unsigned max with
 * the index where taken and 0 where not.
 */
@inline function takeIdx(bestIdx: v128, best: v128, rowIdx: v128, row: v128): v128 {
  return i32x4.max_u(bestIdx, v128.and(rowIdx, f32x4.gt(row, best)));
}

/**
 * The common step of four windows (eight when `pair`: the second four's left taps are the first
 * four's right ones) of one output row: the winners of the row they share with the windows above,
 * read from this output row (po, pi), then rows hs + 1 and hs + 2 from q (the first window's
 * middle tap in row hs + 1; `right`: that window's right tap index, then every lane's). Stores
 * the windows' winners over the ones read, and row hs + 2's in the next output row when `next`.
 * `padLeft`: the first window's left tap is padding (−inf, never a winner). Returns the sum of the
 * taps loaded.
 */
@inline function k3s2Step(q: usize, po: usize, pi: usize, right: v128, down: v128, rowBytes: usize, outRowBytes: usize,
  next: bool, pair: bool, padLeft: bool, withIdx: bool): v128 {
  const negInf = f32x4.splat(-Infinity);
  const inside = padLeft ? i32x4(0, -1, -1, -1) : i32x4.splat(-1);
  const q2 = q + rowBytes;
  const a0 = v128.load(q), a1 = v128.load(q, 16), c0 = v128.load(q2), c1 = v128.load(q2, 16);
  let s = f32x4.add(f32x4.add(a0, a1), f32x4.add(c0, c1));
  const rA1 = odds(a0, a1), rA2 = odds(c0, c1);
  const lA1 = shiftIn(padLeft ? negInf : v128.load32_splat(q - 4), rA1);
  const lA2 = shiftIn(padLeft ? negInf : v128.load32_splat(q2 - 4), rA2);
  const lmA1 = f32x4.pmax(lA1, evens(a0, a1)), lmA2 = f32x4.pmax(lA2, evens(c0, c1));
  const vA1 = f32x4.pmax(lmA1, rA1), vA2 = f32x4.pmax(lmA2, rA2);
  const cA = v128.load(po);
  const bA = f32x4.pmax(cA, vA1);
  if (withIdx) {
    const iA1 = rowWinner(right, v128.and(f32x4.eq(lA1, vA1), inside), lmA1, vA1);
    const iA2 = rowWinner(i32x4.add(right, down), v128.and(f32x4.eq(lA2, vA2), inside), lmA2, vA2);
    v128.store(pi, takeIdx(takeIdx(v128.load(pi), cA, iA1, vA1), bA, iA2, vA2));
    if (next) v128.store(pi + outRowBytes, iA2);
  }
  v128.store(po, f32x4.pmax(bA, vA2));
  if (next) v128.store(po + outRowBytes, vA2);
  if (pair) {
    const d0 = v128.load(q, 32), d1 = v128.load(q, 48), e0 = v128.load(q2, 32), e1 = v128.load(q2, 48);
    s = f32x4.add(s, f32x4.add(f32x4.add(d0, d1), f32x4.add(e0, e1)));
    const rB1 = odds(d0, d1), rB2 = odds(e0, e1);
    const lB1 = shiftIn(rA1, rB1), lB2 = shiftIn(rA2, rB2);
    const lmB1 = f32x4.pmax(lB1, evens(d0, d1)), lmB2 = f32x4.pmax(lB2, evens(e0, e1));
    const vB1 = f32x4.pmax(lmB1, rB1), vB2 = f32x4.pmax(lmB2, rB2);
    const cB = v128.load(po, 16);
    const bB = f32x4.pmax(cB, vB1);
    if (withIdx) {
      const rightB = i32x4.add(right, i32x4.splat(8));
      const iB1 = rowWinner(rightB, f32x4.eq(lB1, vB1), lmB1, vB1);
      const iB2 = rowWinner(i32x4.add(rightB, down), f32x4.eq(lB2, vB2), lmB2, vB2);
      v128.store(pi, takeIdx(takeIdx(v128.load(pi, 16), cB, iB1, vB1), bB, iB2, vB2), 16);
      if (next) v128.store(pi + outRowBytes, iB2, 16);
    }
    v128.store(po, f32x4.pmax(bB, vB2), 16);
    if (next) v128.store(po + outRowBytes, vB2, 16);
  }
  return s;
}

/**
 * Four (or eight) windows of an output row from their rows inside the input one by one, rows
 * [h0, hLast]: h0 = hFirst + 1 when row hFirst's winners are carried in this output row (po, pi),
 * else a window's first row is its start, taken whatever its value (−inf included). b: the
 * first window's middle tap column. Stores as k3s2Step; returns the sum of the taps loaded.
 */
@inline function k3s2Rows(xp: usize, po: usize, pi: usize, b: i32, h0: i32, hFirst: i32, hLast: i32, inW: i32, outRowBytes: usize,
  next: bool, pair: bool, padLeft: bool, withIdx: bool): v128 {
  const negInf = f32x4.splat(-Infinity);
  const inside = padLeft ? i32x4(0, -1, -1, -1) : i32x4.splat(-1);
  const right0 = i32x4.add(i32x4.splat(b + 1), i32x4(0, 2, 4, 6));
  let s = f32x4.splat(0);
  // The carried row's winners (unused when h0 = hFirst).
  let bA = v128.load(po), bB = pair ? v128.load(po, 16) : bA;
  let biA = withIdx ? v128.load(pi) : bA, biB = withIdx && pair ? v128.load(pi, 16) : biA;
  let vA = bA, iA = biA, vB = bB, iB = biB;
  for (let h = h0; h <= hLast; h++) {
    const q = xp + (<usize>(h * inW + b) << 2);
    const right = i32x4.add(right0, i32x4.splat(h * inW));
    const a0 = v128.load(q), a1 = v128.load(q, 16);
    s = f32x4.add(s, f32x4.add(a0, a1));
    const rA = odds(a0, a1);
    const lA = shiftIn(padLeft ? negInf : v128.load32_splat(q - 4), rA);
    const lmA = f32x4.pmax(lA, evens(a0, a1));
    vA = f32x4.pmax(lmA, rA);
    if (withIdx) iA = rowWinner(right, v128.and(f32x4.eq(lA, vA), inside), lmA, vA);
    if (h == hFirst) {
      bA = vA;
      biA = iA;
    } else {
      if (withIdx) biA = takeIdx(biA, bA, iA, vA);
      bA = f32x4.pmax(bA, vA);
    }
    if (pair) {
      const d0 = v128.load(q, 32), d1 = v128.load(q, 48);
      s = f32x4.add(s, f32x4.add(d0, d1));
      const rB = odds(d0, d1);
      const lB = shiftIn(rA, rB);
      const lmB = f32x4.pmax(lB, evens(d0, d1));
      vB = f32x4.pmax(lmB, rB);
      if (withIdx) iB = rowWinner(i32x4.add(right, i32x4.splat(8)), f32x4.eq(lB, vB), lmB, vB);
      if (h == hFirst) {
        bB = vB;
        biB = iB;
      } else {
        if (withIdx) biB = takeIdx(biB, bB, iB, vB);
        bB = f32x4.pmax(bB, vB);
      }
    }
  }
  v128.store(po, bA);
  if (next) v128.store(po + outRowBytes, vA);
  if (withIdx) {
    v128.store(pi, biA);
    if (next) v128.store(pi + outRowBytes, iA);
  }
  if (pair) {
    v128.store(po, bB, 16);
    if (next) v128.store(po + outRowBytes, vB, 16);
    if (withIdx) {
      v128.store(pi, biB, 16);
      if (next) v128.store(pi + outRowBytes, iB, 16);
    }
  }
  return s;
}

/** Output column `c` of one row (taps from row `hFirst`, `hCount` rows): the reference's rule, tap by tap. */
@inline function maxWindow(xp: usize, op: usize, ip: usize, c: i32, hFirst: i32, hCount: i32, inW: i32, kW: i32, sW: i32,
  padW: i32, dilH: i32, dilW: i32, withIdx: bool): void {
  const wStart = c * sW - padW;
  const wFirst = tapFirst(wStart, dilW);
  const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
  let best: f32 = -Infinity;
  let bestIdx = hFirst * inW + wFirst;
  for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
    for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) {
      const idx = h * inW + w;
      const v = load<f32>(xp + (<usize>idx << 2));
      if (v > best || v != v) {
        best = v;
        bestIdx = idx;
      }
    }
  }
  store<f32>(op + (<usize>c << 2), best);
  if (withIdx) store<i32>(ip + (<usize>c << 2), bestIdx);
}

/**
 * k2s2 average of whole windows, four per step (a row's last 1–3 as maxPool2dK2S2 does): the
 * four taps summed from +0 in row-major order, then divided by `div` — or, for adaptive pooling
 * (`adaptive`), by 1, then 2, then 2 (its `sum / kD / kH / kW` with kH = kW = 2). A division by a
 * power of two is the multiplication by its reciprocal (exactReciprocal), and a division by 1
 * is no operation.
 */
@inline function avgPool2dK2S2(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32, divisor: f32, adaptive: bool): void {
  const div = f32x4.splat(divisor), recip = exactReciprocal(divisor), scale = f32x4.splat(recip);
  const rowBytes = <usize>inW << 2, fullEnd = <usize>(outW & ~3) << 3, tail = outW & 3;
  let po = out;
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * <usize>(inH * inW)) << 2);
    for (let oh = 0, row = xp; oh < outH; oh++, row += rowBytes << 1) {
      let q = row;
      for (const end = row + fullEnd; q < end; q += 32, po += 16) k2s2AvgGroup(q, rowBytes, div, recip, scale, po, 4, adaptive);
      if (tail > 0) {
        k2s2AvgGroup(q, rowBytes, div, recip, scale, po, tail, adaptive);
        po += <usize>tail << 2;
      }
    }
  }
}

/** Four k2s2 averages of the rows at q and q + rowBytes; stores the first n (1–4) at op. */
@inline function k2s2AvgGroup(q: usize, rowBytes: usize, div: v128, recip: f32, scale: v128, op: usize, n: i32, adaptive: bool): void {
  const half = f32x4.splat(0.5);
  const r = q + rowBytes;
  const a0 = v128.load(q), b0 = v128.load(q, 16), a1 = v128.load(r), b1 = v128.load(r, 16);
  let sum = f32x4.add(f32x4.splat(0), v128.shuffle<f32>(a0, b0, 0, 2, 4, 6));
  sum = f32x4.add(sum, v128.shuffle<f32>(a0, b0, 1, 3, 5, 7));
  sum = f32x4.add(sum, v128.shuffle<f32>(a1, b1, 0, 2, 4, 6));
  sum = f32x4.add(sum, v128.shuffle<f32>(a1, b1, 1, 3, 5, 7));
  storeN(op, adaptive ? f32x4.mul(f32x4.mul(sum, half), half) : recip != 0 ? f32x4.mul(sum, scale) : f32x4.div(sum, div), n);
}

/** Four windows whose W taps lie inside the input, starting at output column `ow`: the reference's rule, tap by tap. */
@inline function maxGroup(xp: usize, op: usize, ip: usize, ow: i32, hFirst: i32, hCount: i32, inW: i32, kW: i32, sW: i32,
  padW: i32, dilH: i32, dilW: i32, laneStep: v128, withIdx: bool): void {
  const w0 = ow * sW - padW;
  let best = f32x4.splat(-Infinity);
  let bestIdx = i32x4.add(i32x4.splat(hFirst * inW + w0), laneStep);
  for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
    const rowIdx = h * inW + w0;
    for (let j = 0, w = 0; j < kW; j++, w += dilW) {
      const v = loadStrided(xp + (<usize>(rowIdx + w) << 2), sW);
      const take = maxTap(v, best);
      best = v128.bitselect(v, best, take);
      if (withIdx) bestIdx = v128.bitselect(i32x4.add(i32x4.splat(rowIdx + w), laneStep), bestIdx, take);
    }
  }
  v128.store(op + (<usize>ow << 2), best);
  if (withIdx) v128.store(ip + (<usize>ow << 2), bestIdx);
}

/** One tap for four windows: take `v` where `v > best || v != v` (the reference's rule). */
@inline function maxTap(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
}

@inline function maxPool2d(
  x: usize, out: usize, indices: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32, withIdx: bool,
): void {
  const inPlane = inH * inW;
  const owLo = min<i32>(interiorLo(padW, sW), outW);
  const owHi = max<i32>(interiorHi(inW, kW, dilW, padW, sW, outW), owLo);
  const laneStep = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(sW));
  const negInf = f32x4.splat(-Infinity);
  const one = i32x4.splat(1);
  let o: usize = 0; // output element
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * <usize>inPlane) << 2);
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const hStart = oh * sH - padH;
      const hFirst = tapFirst(hStart, dilH);
      const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
      const op = out + (o << 2);
      const ip = indices + (o << 2);
      let ow = owLo;
      if (kW == 2 && sW == 2 && dilW == 1 && hCount == 2 && dilH == 1) {
        // k2s2 windows wholly inside the input: two rows, each giving both W taps of four
        // windows (even and odd columns), taken in the reference's row-major order.
        for (; ow + 4 <= owHi; ow += 4) {
          const w0 = ow * 2 - padW;
          const rowIdx = hFirst * inW + w0;
          const q = xp + (<usize>rowIdx << 2);
          const r = q + (<usize>inW << 2);
          const i0 = i32x4.add(i32x4.splat(rowIdx), laneStep);
          k2s2ByRule(q, r, i0, i32x4.add(i0, i32x4.splat(inW)), op + (<usize>ow << 2), ip + (<usize>ow << 2), 4, withIdx);
        }
      }
      if (kW == 2 && sW == 2 && dilW == 1) {
        // k2s2 along W: each input row gives both taps of four windows (even and odd columns).
        for (; ow + 4 <= owHi; ow += 4) {
          const w0 = ow * 2 - padW;
          let best = negInf;
          let bestIdx = i32x4.add(i32x4.splat(hFirst * inW + w0), laneStep);
          for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
            const rowIdx = h * inW + w0;
            const q = xp + (<usize>rowIdx << 2);
            const a = v128.load(q);
            const b = v128.load(q, 16);
            const even = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
            const odd = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
            let take = maxTap(even, best);
            best = v128.bitselect(even, best, take);
            if (withIdx) bestIdx = v128.bitselect(i32x4.add(i32x4.splat(rowIdx), laneStep), bestIdx, take);
            take = maxTap(odd, best);
            best = v128.bitselect(odd, best, take);
            if (withIdx) bestIdx = v128.bitselect(i32x4.add(i32x4.add(i32x4.splat(rowIdx), laneStep), one), bestIdx, take);
          }
          v128.store(op + (<usize>ow << 2), best);
          if (withIdx) v128.store(ip + (<usize>ow << 2), bestIdx);
        }
      }
      if (kW == 3 && sW == 2 && dilW == 1) {
        // k3s2 along W: one row's columns 0–9 give the three taps of four windows — even columns,
        // odd columns, and the even ones shifted by one window. pmax is the rule (`v > best ?
        // v : best`) but for NaN, and `gt` the rule's take mask but for NaN: a sum of the rows'
        // values is NaN when a tap is (or for ∞ − ∞), and such a group is redone by maxGroup.
        for (; ow + 4 <= owHi; ow += 4) {
          const w0 = ow * 2 - padW;
          let best = negInf;
          let bestIdx = i32x4.add(i32x4.splat(hFirst * inW + w0), laneStep);
          let anyNaN = f32x4.splat(0);
          for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
            const rowIdx = h * inW + w0;
            const q = xp + (<usize>rowIdx << 2);
            // Four loads and three shuffles (shuffles, not loads, are the scarce port): columns
            // 0–7 for the first two taps, 2–9 for the third.
            const a = v128.load(q), b = v128.load(q, 16), d = v128.load(q, 8), e = v128.load(q, 24);
            const t0 = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
            const t1 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
            const t2 = v128.shuffle<f32>(d, e, 0, 2, 4, 6);
            if (withIdx) {
              const iv = i32x4.add(i32x4.splat(rowIdx), laneStep);
              bestIdx = v128.bitselect(iv, bestIdx, f32x4.gt(t0, best));
              best = f32x4.pmax(best, t0);
              bestIdx = v128.bitselect(i32x4.add(iv, one), bestIdx, f32x4.gt(t1, best));
              best = f32x4.pmax(best, t1);
              bestIdx = v128.bitselect(i32x4.add(iv, i32x4.splat(2)), bestIdx, f32x4.gt(t2, best));
              best = f32x4.pmax(best, t2);
            } else {
              best = f32x4.pmax(f32x4.pmax(f32x4.pmax(best, t0), t1), t2);
            }
            // a, b and e hold columns 0–9: every tap (and one more, whose NaN only costs a redo).
            anyNaN = f32x4.add(f32x4.add(anyNaN, f32x4.add(a, b)), e);
          }
          if (v128.any_true(f32x4.ne(anyNaN, anyNaN))) {
            maxGroup(xp, op, ip, ow, hFirst, hCount, inW, 3, 2, padW, dilH, 1, laneStep, withIdx);
            continue;
          }
          v128.store(op + (<usize>ow << 2), best);
          if (withIdx) v128.store(ip + (<usize>ow << 2), bestIdx);
        }
      }
      // Lanes = four output columns whose W taps all lie inside the input.
      for (; ow + 4 <= owHi; ow += 4) maxGroup(xp, op, ip, ow, hFirst, hCount, inW, kW, sW, padW, dilH, dilW, laneStep, withIdx);
      // The last 1–3 interior columns: one more group ending at owHi, overlapping the previous
      // one (its columns are written again with the same values).
      if (ow < owHi && owHi - owLo >= 4) {
        maxGroup(xp, op, ip, owHi - 4, hFirst, hCount, inW, kW, sW, padW, dilH, dilW, laneStep, withIdx);
        ow = owHi;
      }
      // The left and right edges and the remainder, one column at a time.
      for (let c = 0; c < outW; c++) {
        if (c == owLo) c = ow;
        if (c >= outW) break;
        maxWindow(xp, op, ip, c, hFirst, hCount, inW, kW, sW, padW, dilH, dilW, withIdx);
      }
    }
  }
}

/**
 * The backward of k2s2 max pooling without padding (the windows tile the input, never overlap),
 * writing every element of gradIn — so it need not be zeroed first: +0 + gradOut where the
 * window's index points (the reference's scatter onto zeros, −0 included), +0 elsewhere, and +0
 * in the last row / column when the size is odd. Indices must be the forward's (inside their window).
 */
export function max_pool2d_bwd_k2s2(gradOut: usize, indices: usize, gradIn: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32): i32 {
  if (planes < 0 || outH < 0 || outW < 0 || inH < 2 * outH || inW < 2 * outW || inH > 2 * outH + 1 || inW > 2 * outW + 1) return 0;
  const zero = f32x4.splat(0);
  const lane2 = i32x4(0, 2, 4, 6), eight = i32x4.splat(8);
  // A window's taps relative to its first: 0, 1, inW, inW + 1.
  const at0 = i32x4.splat(0), at1 = i32x4.splat(1), at2 = i32x4.splat(inW), at3 = i32x4.splat(inW + 1);
  const inPlane = inH * inW;
  const inPlaneBytes = <usize>inPlane << 2, outPlane = <usize>(outH * outW);
  // Two planes at a time, row by row in turn (planes k and k + half, then an odd last one alone).
  const half = planes >> 1;
  for (let k = 0; k < planes - half; k++) {
    const pA = k < half ? k : planes - 1;
    const gA = gradIn + <usize>pA * inPlaneBytes, gB = gA + <usize>half * inPlaneBytes;
    const oA = <usize>pA * outPlane, oB = oA + <usize>half * outPlane;
    for (let oh = 0; oh < outH; oh++) {
      k2s2BwdRow(gradOut, indices, gA, oA, oh, inW, outW, zero, lane2, eight, at0, at1, at2, at3);
      if (k < half) k2s2BwdRow(gradOut, indices, gB, oB, oh, inW, outW, zero, lane2, eight, at0, at1, at2, at3);
    }
    if (inH > 2 * outH) {
      zeroF32(gA + (<usize>((inH - 1) * inW) << 2), inW);
      if (k < half) zeroF32(gB + (<usize>((inH - 1) * inW) << 2), inW);
    }
  }
  return 1;
}

/** Output row oh of max_pool2d_bwd_k2s2's plane at gp (its outputs from element po on): both input rows written. */
@inline function k2s2BwdRow(gradOut: usize, indices: usize, gp: usize, po: usize, oh: i32, inW: i32, outW: i32,
  zero: v128, lane2: v128, eight: v128, at0: v128, at1: v128, at2: v128, at3: v128): void {
  const row0 = gp + (<usize>(2 * oh * inW) << 2);
  const row1 = row0 + (<usize>inW << 2);
  const go = gradOut + ((po + <usize>(oh * outW)) << 2);
  const io = indices + ((po + <usize>(oh * outW)) << 2);
  let ow = 0;
  // Each window's first tap index, four windows a step.
  let base = i32x4.add(i32x4.splat(2 * oh * inW), lane2);
  for (; ow + 4 <= outW; ow += 4, base = i32x4.add(base, eight)) {
    k2s2BwdGroup(go + (<usize>ow << 2), io + (<usize>ow << 2), base, row0 + (<usize>ow << 3), row1 + (<usize>ow << 3), 4, zero, at0, at1, at2, at3);
  }
  // The last 1–3 windows: the same vectors (loads within the plane or the slack), only their
  // 2·n columns of each row stored.
  if (ow < outW) {
    k2s2BwdGroup(go + (<usize>ow << 2), io + (<usize>ow << 2), base, row0 + (<usize>ow << 3), row1 + (<usize>ow << 3), outW - ow, zero, at0, at1, at2, at3);
  }
  if (inW > 2 * outW) {
    store<f32>(row0 + (<usize>(inW - 1) << 2), 0);
    store<f32>(row1 + (<usize>(inW - 1) << 2), 0);
  }
}

/**
 * Four k2s2 windows' gradients (at go; indices at io, `base` each window's first tap index) as
 * +0 + gradient at the tap its index names and +0 at the other three, in rows q0 and q1: all four
 * windows' 8 columns, or the first n (1–3) windows' 2·n.
 */
@inline function k2s2BwdGroup(go: usize, io: usize, base: v128, q0: usize, q1: usize, n: i32,
  zero: v128, at0: v128, at1: v128, at2: v128, at3: v128): void {
  const g = f32x4.add(zero, v128.load(go));
  const rel = i32x4.sub(v128.load(io), base);
  const e0 = v128.and(g, i32x4.eq(rel, at0)), o0 = v128.and(g, i32x4.eq(rel, at1));
  const e1 = v128.and(g, i32x4.eq(rel, at2)), o1 = v128.and(g, i32x4.eq(rel, at3));
  const lo0 = v128.shuffle<f32>(e0, o0, 0, 4, 1, 5), lo1 = v128.shuffle<f32>(e1, o1, 0, 4, 1, 5);
  const hi0 = v128.shuffle<f32>(e0, o0, 2, 6, 3, 7), hi1 = v128.shuffle<f32>(e1, o1, 2, 6, 3, 7);
  if (n >= 2) {
    v128.store(q0, lo0);
    v128.store(q1, lo1);
    if (n == 4) {
      v128.store(q0, hi0, 16);
      v128.store(q1, hi1, 16);
    } else if (n == 3) {
      v128.store64_lane(q0 + 16, hi0, 0);
      v128.store64_lane(q1 + 16, hi1, 0);
    }
  } else {
    v128.store64_lane(q0, lo0, 0);
    v128.store64_lane(q1, lo1, 0);
  }
}

/**
 * The backward of k2s2 average pooling over whole windows (no padding, floor mode: the windows
 * tile the input), writing every element of gradIn — +0 + gradOut / divisor over each window
 * (the reference's add onto zeros), +0 in an odd last row or column.
 */
export function avg_pool2d_bwd_k2s2(gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32, divisor: i32): i32 {
  if (planes < 0 || outH < 0 || outW < 0 || inH < 2 * outH || inW < 2 * outW || inH > 2 * outH + 1 || inW > 2 * outW + 1 ||
      divisor == 0 || !divisorFits(divisor, 1, 1)) return 0;
  avgPool2dBwdK2S2(gradOut, gradIn, planes, inH, inW, outH, outW, <f32>divisor, false);
  return 1;
}

/**
 * Writes every element of gradIn for k2s2 whole windows: +0 + gradOut / div over each window — or,
 * for adaptive pooling (`adaptive`), +0 + ((gradOut / 1) / 2) / 2 — and +0 in an odd last row
 * or column (divisions as avgPool2dK2S2's). Four windows per step; a row's last 1–3 as vectors too (gradOut read within its
 * plane or the slack), only their 2·n columns stored.
 */
@inline function avgPool2dBwdK2S2(gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  divisor: f32, adaptive: bool): void {
  const zero = f32x4.splat(0), half = f32x4.splat(0.5);
  const div = f32x4.splat(divisor), recip = exactReciprocal(divisor), scale = f32x4.splat(recip);
  const inPlane = inH * inW;
  let go = gradOut;
  for (let p = 0; p < planes; p++) {
    const gp = gradIn + ((<usize>p * <usize>inPlane) << 2);
    for (let oh = 0; oh < outH; oh++) {
      const row0 = gp + (<usize>(2 * oh * inW) << 2);
      const row1 = row0 + (<usize>inW << 2);
      for (let ow = 0; ow < outW; ow += 4) {
        const g = v128.load(go + (<usize>ow << 2));
        const d = f32x4.add(zero, adaptive ? f32x4.mul(f32x4.mul(g, half), half) : recip != 0 ? f32x4.mul(g, scale) : f32x4.div(g, div));
        const lo = v128.shuffle<f32>(d, d, 0, 0, 1, 1), hi = v128.shuffle<f32>(d, d, 2, 2, 3, 3);
        const q0 = row0 + (<usize>(2 * ow) << 2), q1 = row1 + (<usize>(2 * ow) << 2);
        const n = outW - ow;
        if (n >= 4) {
          v128.store(q0, lo); v128.store(q0, hi, 16);
          v128.store(q1, lo); v128.store(q1, hi, 16);
        } else if (n >= 2) {
          v128.store(q0, lo); v128.store(q1, lo);
          if (n == 3) { v128.store64_lane(q0 + 16, hi, 0); v128.store64_lane(q1 + 16, hi, 0); }
        } else {
          v128.store64_lane(q0, lo, 0); v128.store64_lane(q1, lo, 0);
        }
      }
      go += <usize>outW << 2;
      if (inW > 2 * outW) {
        store<f32>(row0 + (<usize>(inW - 1) << 2), 0);
        store<f32>(row1 + (<usize>(inW - 1) << 2), 0);
      }
    }
    if (inH > 2 * outH) zeroF32(gp + (<usize>((inH - 1) * inW) << 2), inW);
  }
}

/**
 * The backward of every max-style pooling: per plane, gradIn[index] += gradOut, in output order
 * (so overlapping windows accumulate exactly as the reference); out-of-plane indices are skipped.
 */
export function max_pool_bwd(gradOut: usize, indices: usize, planes: i32, inPlane: i32, outPlane: i32, gradIn: usize): i32 {
  return maxPoolBwd(gradOut, indices, planes, inPlane, outPlane, gradIn, false);
}

/**
 * max_pool_bwd onto a gradIn that need not be zeroed: each plane is zeroed just before its
 * scatter, so the scatter's read-modify-writes hit the cache the zeroing just filled instead of
 * going to memory a second time.
 */
export function max_pool_bwd_zeroed(gradOut: usize, indices: usize, planes: i32, inPlane: i32, outPlane: i32, gradIn: usize): i32 {
  return maxPoolBwd(gradOut, indices, planes, inPlane, outPlane, gradIn, true);
}

/**
 * The backward of 2-D (and 1-D) sliding max pooling onto a gradIn that need not be zeroed, one
 * output row at a time: first the input rows that row's windows reach (up to oh·sH − padH +
 * (kH − 1)·dilH) are zeroed, if not yet, then its gradients are added at their indices — so the
 * zeros and the adds onto them meet in L1, where max_pool_bwd_zeroed zeroes a whole plane first.
 * The adds are the reference's, in its order, onto zeros. An index past the zeroed rows (none
 * the forward makes) has the rows up to it zeroed first; one outside the plane is skipped.
 */
export function max_pool2d_bwd_rows(gradOut: usize, indices: usize, gradIn: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32, sH: i32, padH: i32, kH: i32, dilH: i32): i32 {
  if (planes < 0 || inH < 1 || inW < 1 || outH < 0 || outW < 0 || sH < 1 || kH < 1 || dilH < 1 || padH < 0) return 0;
  const inPlane = inH * inW;
  const inPlaneBytes = <usize>inPlane << 2, outPlaneBytes = <usize>(outH * outW) << 2, outRowBytes = <usize>outW << 2;
  // Two planes at a time, row by row in turn (planes k and k + half, then an odd last one
  // alone), as the k3s2 forward: two streams in flight.
  const half = planes >> 1;
  for (let k = 0; k < planes - half; k++) {
    const pA = k < half ? k : planes - 1;
    const gA = gradOut + <usize>pA * outPlaneBytes, iA = indices + <usize>pA * outPlaneBytes, xA = gradIn + <usize>pA * inPlaneBytes;
    const gB = gA + <usize>half * outPlaneBytes, iB = iA + <usize>half * outPlaneBytes, xB = xA + <usize>half * inPlaneBytes;
    let zeroedA = 0, zeroedB = 0; // elements [0, zeroed) of each plane are zeroed
    for (let oh = 0; oh < outH; oh++) {
      const last = min<i64>(<i64>oh * sH - padH + <i64>(kH - 1) * dilH, inH - 1);
      const reach = last < 0 ? 0 : (<i32>last + 1) * inW;
      const o = <usize>oh * outRowBytes;
      zeroedA = maxBwdRow(gA + o, iA + o, xA, reach, zeroedA, inPlane, inW, outW);
      if (k < half) zeroedB = maxBwdRow(gB + o, iB + o, xB, reach, zeroedB, inPlane, inW, outW);
    }
    if (zeroedA < inPlane) zeroF32(xA + (<usize>zeroedA << 2), inPlane - zeroedA);
    if (k < half && zeroedB < inPlane) zeroF32(xB + (<usize>zeroedB << 2), inPlane - zeroedB);
  }
  return 1;
}

/**
 * One output row of max_pool2d_bwd_rows: its gradients (gp) and indices (ip) scattered into the
 * plane gi, whose elements [0, zeroed) are zeroed, after zeroing up to `reach`. Returns how far
 * the plane is zeroed now.
 */
@inline function maxBwdRow(gp: usize, ip: usize, gi: usize, reach: i32, zeroed: i32, inPlane: i32, inW: i32, outW: i32): i32 {
  if (reach > zeroed) {
    zeroF32(gi + (<usize>zeroed << 2), reach - zeroed);
    zeroed = reach;
  }
  // The row's indices checked at once (their unsigned max below the zeroed rows: all inside
  // the plane); then the adds one by one in order, four per turn, with no check.
  if (outW >= 4) {
    let m = v128.load(ip);
    let k = 4;
    for (; k + 4 <= outW; k += 4) m = i32x4.max_u(m, v128.load(ip + (<usize>k << 2)));
    m = i32x4.max_u(m, v128.load(ip + (<usize>(outW - 4) << 2)));
    m = i32x4.max_u(m, v128.shuffle<i32>(m, m, 2, 3, 0, 1));
    m = i32x4.max_u(m, v128.shuffle<i32>(m, m, 1, 0, 3, 2));
    if (<u32>i32x4.extract_lane(m, 0) < <u32>zeroed) {
      let g = gp, x = ip;
      const gEnd = gp + (<usize>outW << 2);
      for (; g + 16 <= gEnd; g += 16, x += 16) {
        let q = gi + (<usize>load<i32>(x) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g));
        q = gi + (<usize>load<i32>(x, 4) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g, 4));
        q = gi + (<usize>load<i32>(x, 8) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g, 8));
        q = gi + (<usize>load<i32>(x, 12) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g, 12));
      }
      for (; g < gEnd; g += 4, x += 4) {
        const q = gi + (<usize>load<i32>(x) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g));
      }
      return zeroed;
    }
  }
  for (let j = 0; j < outW; j++) {
    const idx = load<i32>(ip + (<usize>j << 2));
    if (<u32>idx >= <u32>zeroed) {
      if (<u32>idx >= <u32>inPlane) continue;
      const upTo = (idx / inW + 1) * inW;
      zeroF32(gi + (<usize>zeroed << 2), upTo - zeroed);
      zeroed = upTo;
    }
    const q = gi + (<usize>idx << 2);
    store<f32>(q, load<f32>(q) + load<f32>(gp + (<usize>j << 2)));
  }
  return zeroed;
}

@inline function maxPoolBwd(gradOut: usize, indices: usize, planes: i32, inPlane: i32, outPlane: i32, gradIn: usize, zero: bool): i32 {
  if (planes < 0 || inPlane < 0 || outPlane < 0) return 0;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const gi = gradIn + ((<usize>p * <usize>inPlane) << 2);
    if (zero) zeroF32(gi, inPlane);
    for (let j = 0; j < outPlane; j++, o++) {
      const idx = load<i32>(indices + (o << 2));
      if (<u32>idx < <u32>inPlane) {
        const q = gi + (<usize>idx << 2);
        store<f32>(q, load<f32>(q) + load<f32>(gradOut + (o << 2)));
      }
    }
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Average pooling, 2-D (ATen AvgPoolKernel.cpp): the float32 sum of the taps inside the input in
// row-major order, starting from 0, over the divisor — divisorOverride if non-zero, else the
// taps inside the padded extent (countIncludePad; the ceil-mode overhang excluded) or inside the
// input. A window with no tap inside the input gives 0.

@inline function avgDivisor(divOverride: i32, countIncludePad: i32, padded: i32, valid: i32): f32 {
  return <f32>(divOverride != 0 ? divOverride : countIncludePad != 0 ? padded : valid);
}

/** Divisors must be exact in float32: |divisorOverride| ≤ 2^24, and windows of at most 2^24 taps. */
@inline function divisorFits(divOverride: i32, kH: i32, kW: i32): bool {
  return divOverride >= -(1 << 24) && divOverride <= (1 << 24) && <i64>kH * <i64>kW <= (1 << 24);
}

export function avg_pool2d_fwd(
  x: usize, out: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, padEndH: i32, padEndW: i32,
  dilH: i32, dilW: i32, countIncludePad: i32, divisorOverride: i32,
): i32 {
  if (planes < 0 || inH < 1 || inW < 1 || outH < 1 || outW < 1 || kH < 1 || kW < 1 ||
      sH < 1 || sW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0 || padEndH < 0 || padEndW < 0 ||
      !divisorFits(divisorOverride, kH, kW)) return 0;
  if (kH == 2 && kW == 2 && sH == 2 && sW == 2 && padH == 0 && padW == 0 && dilH == 1 && dilW == 1 &&
      inH >= 2 * outH && inW >= 2 * outW) {
    // Every window whole and inside: one divisor (the override, or 4 either way of countIncludePad).
    avgPool2dK2S2(x, out, planes, inH, inW, outH, outW, avgDivisor(divisorOverride, countIncludePad, 4, 4), false);
    return 1;
  }
  // Everything else: the 3-D kernel with one depth (the same taps, sums and divisors).
  return avg_pool3d_fwd(x, out, planes, 1, inH, inW, 1, outH, outW, 1, kH, kW, 1, sH, sW, 0, padH, padW,
    0, padEndH, padEndW, 1, dilH, dilW, countIncludePad, divisorOverride);
}

/**
 * Scratch bytes avg_pool2d_bwd needs: one row of inW floats (plus slack) per "layer" — a single
 * layer when windows cannot overlap along W, else one per W tap (see avg_pool2d_bwd).
 */
export function avg_pool2d_bwd_work_bytes(inW: i32, kW: i32, sW: i32, dilW: i32): i32 {
  const layers = sW >= (kW - 1) * dilW + 1 ? 1 : kW;
  return layers * ((inW + 4) << 2);
}

/**
 * Average pooling backward: each tap inside the input gets gradOut / divisor, added in the
 * reference's order — outputs in row-major order. Vectorised along the INPUT row: for each output
 * row, the deltas are spread into "layers" (rows of inW floats, −0 where no window reaches, since
 * x + (−0) == x for every x), then each layer is added to every input row the windows cover. Where
 * windows overlap along W, layer L holds tap kW−1−L of every window: an input column reached by
 * windows ow1 < ow2 gets ow1 through a higher tap, so from an earlier layer — the reference's order.
 */
export function avg_pool2d_bwd(
  gradOut: usize, gradIn: usize, work: usize, planes: i32,
  inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, padEndH: i32, padEndW: i32,
  dilH: i32, dilW: i32, countIncludePad: i32, divisorOverride: i32,
): i32 {
  if (planes < 0 || inH < 1 || inW < 1 || outH < 1 || outW < 1 || kH < 1 || kW < 1 ||
      sH < 1 || sW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0 || padEndH < 0 || padEndW < 0 ||
      !divisorFits(divisorOverride, kH, kW)) return 0;
  const inPlane = inH * inW;
  const overlapping = sW < (kW - 1) * dilW + 1;
  const layers = overlapping ? kW : 1;
  const layerBytes = <usize>(inW + 4) << 2;
  const negZero = f32x4.splat(-0.0);
  const inW4 = inW & ~3;
  const owLo = min<i32>(interiorLo(padW, sW), outW);
  const owHi = max<i32>(interiorHi(inW, kW, dilW, padW, sW, outW), owLo);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const gp = gradIn + ((<usize>p * <usize>inPlane) << 2);
    for (let oh = 0; oh < outH; oh++, o += <usize>outW) {
      const hStart = oh * sH - padH;
      const hFirst = tapFirst(hStart, dilH);
      const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
      if (hCount == 0) continue;
      const hPadded = tapPadded(hStart, kH, dilH, inH, padEndH);
      for (let L = 0; L < layers; L++) {
        const lp = work + <usize>L * layerBytes;
        for (let w = 0; w < inW; w += 4) v128.store(lp + (<usize>w << 2), negZero);
      }
      const go = gradOut + (o << 2);
      // Interior columns: kW taps, all inside the input and the padded extent — one divisor.
      const divI = avgDivisor(divisorOverride, countIncludePad, hPadded * kW, hCount * kW);
      let c = owLo;
      if (kW == 2 && sW == 2 && dilW == 1) {
        // k2s2 (non-overlapping): spread four deltas over eight contiguous columns.
        const dv = f32x4.splat(divI);
        for (; c + 4 <= owHi; c += 4) {
          const d = f32x4.div(v128.load(go + (<usize>c << 2)), dv);
          const q = work + (<usize>(c * 2 - padW) << 2);
          v128.store(q, v128.shuffle<f32>(d, d, 0, 0, 1, 1));
          v128.store(q, v128.shuffle<f32>(d, d, 2, 2, 3, 3), 16);
        }
      }
      for (; c < owHi; c++) {
        const delta = load<f32>(go + (<usize>c << 2)) / divI;
        for (let j = 0, w = c * sW - padW; j < kW; j++, w += dilW) {
          const L = overlapping ? kW - 1 - j : 0;
          store<f32>(work + <usize>L * layerBytes + (<usize>w << 2), delta);
        }
      }
      // The edges: windows that reach into the padding.
      for (let c = 0; c < outW; c++) {
        if (c == owLo) c = owHi;
        if (c >= outW) break;
        const wStart = c * sW - padW;
        const wFirst = tapFirst(wStart, dilW);
        const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
        if (wCount == 0) continue;
        const wPadded = tapPadded(wStart, kW, dilW, inW, padEndW);
        const delta = load<f32>(go + (<usize>c << 2)) /
          avgDivisor(divisorOverride, countIncludePad, hPadded * wPadded, hCount * wCount);
        let tap = (wFirst - wStart) / dilW; // index of the first inside tap within the window
        for (let j = 0, w = wFirst; j < wCount; j++, w += dilW, tap++) {
          const L = overlapping ? kW - 1 - tap : 0;
          store<f32>(work + <usize>L * layerBytes + (<usize>w << 2), delta);
        }
      }
      for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
        const row = gp + (<usize>(h * inW) << 2);
        for (let L = 0; L < layers; L++) {
          const lp = work + <usize>L * layerBytes;
          let w = 0;
          for (; w < inW4; w += 4) {
            const q = row + (<usize>w << 2);
            v128.store(q, f32x4.add(v128.load(q), v128.load(lp + (<usize>w << 2))));
          }
          for (; w < inW; w++) {
            const q = row + (<usize>w << 2);
            store<f32>(q, load<f32>(q) + load<f32>(lp + (<usize>w << 2)));
          }
        }
      }
    }
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// SGEMM: C (m×n) += op(A) · op(B), op(A) m×k, op(B) k×n, all row-major and dense:
//   sgemm_nn: A m×k, B k×n;   sgemm_nt: A m×k, B n×k;   sgemm_tn: A k×m, B k×n.
// GotoBLAS blocking: a KC×NC block of op(B) and an MC×KC block of op(A) are packed into `work`
// (gemm_work_bytes() bytes, 16-byte aligned) as NR-wide and MR-tall panels, zero-padded, and an
// MR×NR register tile accumulates each KC-long product before it is added to C.

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
const NC = 512;

export function gemm_work_bytes(): i32 {
  return (KC * NC + MC * KC + MR * NR) << 2;
}

const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
/** Row length (floats) up to which B (not transposed) is read in place rather than packed. */
const B_IN_PLACE_MAX = 1024;
const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;

/** B[pc..pc+kc)[jc..jc+nc) into panels of NR columns (the last one padded with zeros); ld = row length of B. */
function packB(b: usize, ld: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const w = min<i32>(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    let src = b + (<usize>((pc * ld) + jc + jr) << 2);
    const step = <usize>ld << 2;
    if (w == NR) {
      for (let p = 0; p < kc; p++, src += step) {
        const d = panel + (<usize>(p * NR) << 2);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
      }
    } else {
      for (let p = 0; p < kc; p++, src += step) {
        const d = panel + (<usize>(p * NR) << 2);
        for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), jj < w ? load<f32>(src + (<usize>jj << 2)) : 0);
      }
    }
  }
}

/** op(A)[i][p] = A[i][p] (transA = 0) or A[p][i] (transA = 1); ld = row length of A as stored. */
function packA(a: usize, ld: i32, transA: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const h = min<i32>(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    if (transA == 0) {
      for (let ii = 0; ii < MR; ii++) {
        const d = panel + (<usize>ii << 2);
        if (ii < h) {
          const src = a + (<usize>((ic + ir + ii) * ld + pc) << 2);
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * MR) << 2), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * MR) << 2), 0);
        }
      }
    } else {
      let src = a + (<usize>(pc * ld + ic + ir) << 2);
      const step = <usize>ld << 2;
      for (let p = 0; p < kc; p++, src += step) {
        const d = panel + (<usize>(p * MR) << 2);
        if (h == MR) v128.store(d, v128.load(src));
        else for (let ii = 0; ii < MR; ii++) store<f32>(d + (<usize>ii << 2), ii < h ? load<f32>(src + (<usize>ii << 2)) : 0);
      }
    }
  }
}

/**
 * C[0..h)[0..w) += (packed A panel) · (B panel) over kc; tile = MR·NR floats of scratch. The B
 * panel's rows of NR floats lie `bStep` bytes apart: packed (NR·4), or B's own rows, read in place.
 */
@inline function microKernel(pa: usize, pb: usize, bStep: usize, kc: i32, c: usize, ldc: i32, h: i32, w: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++, pa += MR << 2, pb += bStep) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
  }
  const row = <usize>ldc << 2;
  if (h == MR && w == NR) {
    let q = c;
    v128.store(q, f32x4.add(v128.load(q), c00)); v128.store(q, f32x4.add(v128.load(q, 16), c01), 16); q += row;
    v128.store(q, f32x4.add(v128.load(q), c10)); v128.store(q, f32x4.add(v128.load(q, 16), c11), 16); q += row;
    v128.store(q, f32x4.add(v128.load(q), c20)); v128.store(q, f32x4.add(v128.load(q, 16), c21), 16); q += row;
    v128.store(q, f32x4.add(v128.load(q), c30)); v128.store(q, f32x4.add(v128.load(q, 16), c31), 16);
  } else {
    v128.store(tile, c00); v128.store(tile, c01, 16);
    v128.store(tile, c10, 32); v128.store(tile, c11, 48);
    v128.store(tile, c20, 64); v128.store(tile, c21, 80);
    v128.store(tile, c30, 96); v128.store(tile, c31, 112);
    if (w == NR) {
      for (let i = 0; i < h; i++) {
        const q = c + <usize>i * row, t = tile + (<usize>(i * NR) << 2);
        v128.store(q, f32x4.add(v128.load(q), v128.load(t)));
        v128.store(q, f32x4.add(v128.load(q, 16), v128.load(t, 16)), 16);
      }
      return;
    }
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const q = c + <usize>i * row + (<usize>j << 2);
        store<f32>(q, load<f32>(q) + load<f32>(tile + (<usize>(i * NR + j) << 2)));
      }
    }
  }
}

function sgemm(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: i32, transB: i32, work: usize): i32 {
  return sgemmLd(a, b, c, m, n, k, transA != 0 ? m : k, transB != 0 ? k : n, n, transA, transB, work);
}

/**
 * C (m×n, row length ldc) += op(A) · op(B) with explicit row lengths of A and B as stored — so
 * that a block of C's rows can be computed alone (the worker pool splits linear layers by rows;
 * every element still sums over k in the same order). Aᵀ · Bᵀ declines: nothing asks for it.
 */
export function sgemm_ld(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, work: usize): i32 {
  if (lda < (transA != 0 ? m : k) || ldb < (transB != 0 ? k : n) || ldc < n) return 0;
  return sgemmLd(a, b, c, m, n, k, lda, ldb, ldc, transA, transB, work);
}

function sgemmLd(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, work: usize): i32 {
  if (m < 0 || n < 0 || k < 0) return 0;
  if (m == 0 || n == 0 || k == 0) return 1;
  if (transB != 0) {
    if (transA != 0) return 0; // Aᵀ · Bᵀ: no caller
    sgemmDotNT(a, b, c, m, n, k, lda, ldb, ldc);
    return 1;
  }
  const packedB = work;
  const packedA = work + PACK_B_BYTES;
  const tile = packedA + PACK_A_BYTES;
  // B's rows read in place when they are short (a conv's unfolded image: a few KB apart, so a
  // panel's kc rows stay within a few pages) — packing would copy all of B once per call. The
  // last panel's loads then run up to 7 floats past a row: within B, or the block's slack.
  const inPlace = ldb <= B_IN_PLACE_MAX;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min<i32>(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min<i32>(KC, k - pc);
      if (!inPlace) packB(b, ldb, pc, jc, kc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min<i32>(MC, m - ic);
        packA(a, lda, transA, ic, pc, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min<i32>(NR, nc - jr);
          const pb = inPlace ? b + (<usize>(pc * ldb + jc + jr) << 2) : packedB + (<usize>(jr * kc) << 2);
          const bStep: usize = inPlace ? <usize>ldb << 2 : NR << 2;
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min<i32>(MR, mc - ir);
            const cp = c + (<usize>((ic + ir) * ldc + jc + jr) << 2);
            microKernel(packedA + (<usize>(ir * kc) << 2), pb, bStep, kc, cp, ldc, h, w, tile);
          }
        }
      }
    }
  }
  return 1;
}

/**
 * C += A · Bᵀ with A's and B's rows both running along k: each element a dot product of two
 * contiguous rows, no packing (a conv's weight gradient, gy · colᵀ, would otherwise transpose the
 * whole unfolded image per call). Two rows of A by four of B at a time, lanes along k: each of the
 * eight sums is kept as four partial sums (k ≡ 0..3 mod 4), added pairwise at the end, then the
 * last k mod 4 products, then onto C — a fixed order for every element, whatever the call's split.
 */
function sgemmDotNT(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32): void {
  const k4 = k & ~3;
  const aRow = <usize>lda << 2, bRow = <usize>ldb << 2, cRow = <usize>ldc << 2;
  let i = 0;
  for (; i < m; i += 2) {
    const two = i + 1 < m;
    const a0 = a + <usize>i * aRow, a1 = two ? a0 + aRow : a0;
    const c0 = c + <usize>i * cRow, c1 = c0 + cRow;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = b + <usize>j * bRow, b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
      let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (let p: usize = 0; p < <usize>(k4 << 2); p += 16) {
        const x0 = v128.load(a0 + p), x1 = v128.load(a1 + p);
        const y0 = v128.load(b0 + p), y1 = v128.load(b1 + p), y2 = v128.load(b2 + p), y3 = v128.load(b3 + p);
        s00 = f32x4.add(s00, f32x4.mul(x0, y0)); s01 = f32x4.add(s01, f32x4.mul(x0, y1));
        s02 = f32x4.add(s02, f32x4.mul(x0, y2)); s03 = f32x4.add(s03, f32x4.mul(x0, y3));
        s10 = f32x4.add(s10, f32x4.mul(x1, y0)); s11 = f32x4.add(s11, f32x4.mul(x1, y1));
        s12 = f32x4.add(s12, f32x4.mul(x1, y2)); s13 = f32x4.add(s13, f32x4.mul(x1, y3));
      }
      let r0 = sum4(s00, s01, s02, s03), r1 = sum4(s10, s11, s12, s13);
      for (let p = k4; p < k; p++) {
        const q = <usize>p << 2;
        const y = f32x4(load<f32>(b0 + q), load<f32>(b1 + q), load<f32>(b2 + q), load<f32>(b3 + q));
        r0 = f32x4.add(r0, f32x4.mul(f32x4.splat(load<f32>(a0 + q)), y));
        r1 = f32x4.add(r1, f32x4.mul(f32x4.splat(load<f32>(a1 + q)), y));
      }
      const cj = <usize>j << 2;
      v128.store(c0 + cj, f32x4.add(v128.load(c0 + cj), r0));
      if (two) v128.store(c1 + cj, f32x4.add(v128.load(c1 + cj), r1));
    }
    for (; j < n; j++) {
      const bj = b + <usize>j * bRow;
      let s0 = f32x4.splat(0), s1 = s0;
      for (let p: usize = 0; p < <usize>(k4 << 2); p += 16) {
        const y = v128.load(bj + p);
        s0 = f32x4.add(s0, f32x4.mul(v128.load(a0 + p), y));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(a1 + p), y));
      }
      let r0 = f32x4.extract_lane(sum4(s0, s1, s0, s1), 0), r1 = f32x4.extract_lane(sum4(s0, s1, s0, s1), 1);
      for (let p = k4; p < k; p++) {
        const q = <usize>p << 2;
        const y = load<f32>(bj + q);
        r0 += load<f32>(a0 + q) * y;
        r1 += load<f32>(a1 + q) * y;
      }
      const cj = <usize>j << 2;
      store<f32>(c0 + cj, load<f32>(c0 + cj) + r0);
      if (two) store<f32>(c1 + cj, load<f32>(c1 + cj) + r1);
    }
  }
}

/** [Σ lanes of s0, of s1, of s2, of s3], each as (l0 + l2) + (l1 + l3). */
@inline function sum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
}

/** C (m×n) += A (m×k) · B (k×n). */
export function sgemm_nn(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, work: usize): i32 {
  return sgemm(a, b, c, m, n, k, 0, 0, work);
}

/** C (m×n) += A (m×k) · Bᵀ, B n×k. */
export function sgemm_nt(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, work: usize): i32 {
  return sgemm(a, b, c, m, n, k, 0, 1, work);
}

/** C (m×n) += Aᵀ · B, A k×m, B k×n. */
export function sgemm_tn(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, work: usize): i32 {
  return sgemm(a, b, c, m, n, k, 1, 0, work);
}

/** Where JS may start allocating: the end of this module's static data. */
export function heap_base(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// Adaptive pooling, 1-D to 3-D (ATen AdaptiveAveragePooling.cpp, AdaptiveMaxPooling2d.cpp): bin
// `o` of `out` covers input [floor(o·in/out), ceil((o+1)·in/out)) along each dimension. Bins
// differ in width, so lanes cannot run across output columns here: the forwards are scalar (each
// output's float32 sequence exactly the reference's); the average backward adds one delta to a
// contiguous row of a bin, so it runs 4 input columns per lane group — each input element still
// gets its adds in output order.

@inline function adaptiveStart(o: i32, out: i32, inSize: i32): i32 {
  return <i32>((<i64>o * <i64>inSize) / <i64>out);
}
@inline function adaptiveEnd(o: i32, out: i32, inSize: i32): i32 {
  return <i32>((<i64>(o + 1) * <i64>inSize + <i64>out - 1) / <i64>out);
}
/** Bin extents are divisors in float32: decline sizes whose extents might not be exact there. */
@inline function adaptiveCovered(planes: i32, inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32): bool {
  return planes >= 0 && inD >= 0 && inH >= 0 && inW >= 0 && outD > 0 && outH > 0 && outW > 0 &&
    inD <= 16777216 && inH <= 16777216 && inW <= 16777216;
}

// Uniform 2-D bins (in a multiple of out along H and W: the bins tile the plane, kH × kW each).
// Four outputs at a time; each lane does the scalar kernels' float32 steps in their order.

/** Whether the bins of an adaptive pooling from inH × inW to outH × outW are uniform (they tile the plane). */
@inline function uniformBins(planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): bool {
  return planes >= 0 && outH >= 1 && outW >= 1 && inH >= 1 && inW >= 1 && inH % outH == 0 && inW % outW == 0;
}

/** A bin's ((v / 1) / kH) / kW, the reference's float32 steps — the division by 1 is no operation. */
@inline function perBin(v: v128, dH: v128, dW: v128): v128 {
  return f32x4.div(f32x4.div(v, dH), dW);
}

/** adaptive_avg_pool_fwd for uniform 2-D bins: ((sum / 1) / kH) / kW. */
export function adaptive_avg_pool2d_uniform_fwd(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): i32 {
  if (!uniformBins(planes, inH, inW, outH, outW)) return 0;
  const kH = inH / outH, kW = inW / outW;
  const dH = f32x4.splat(<f32>kH), dW = f32x4.splat(<f32>kW), zero = f32x4.splat(0);
  if (kH == 2 && kW == 2) {
    avgPool2dK2S2(x, out, planes, inH, inW, outH, outW, 2, true);
    return 1;
  }
  const inPlane = <usize>inH * <usize>inW;
  let o: usize = out;
  for (let p = 0; p < planes; p++) {
    const base = x + ((<usize>p * inPlane) << 2);
    for (let oh = 0; oh < outH; oh++) {
      const rows = base + (<usize>(oh * kH * inW) << 2);
      let ow = 0;
      for (; ow + 4 <= outW; ow += 4, o += 16) {
        let sum = zero;
        for (let i = 0; i < kH; i++) {
          const row = rows + (<usize>(i * inW + ow * kW) << 2);
          if (kW == 2) {
            const a = v128.load(row), b = v128.load(row, 16);
            sum = f32x4.add(sum, v128.shuffle<f32>(a, b, 0, 2, 4, 6));
            sum = f32x4.add(sum, v128.shuffle<f32>(a, b, 1, 3, 5, 7));
          } else {
            for (let j = 0; j < kW; j++) sum = f32x4.add(sum, loadStrided(row + (<usize>j << 2), kW));
          }
        }
        v128.store(o, perBin(sum, dH, dW));
      }
      for (; ow < outW; ow++, o += 4) {
        let sum: f32 = 0;
        for (let i = 0; i < kH; i++) {
          const row = rows + (<usize>(i * inW + ow * kW) << 2);
          for (let j = 0; j < kW; j++) sum += load<f32>(row + (<usize>j << 2));
        }
        store<f32>(o, f32x4.extract_lane(perBin(f32x4.splat(sum), dH, dW), 0));
      }
    }
  }
  return 1;
}

/**
 * adaptive_avg_pool_bwd for uniform 2-D bins, writing all of gradIn (no zeroing needed): each
 * input gets +0 + ((gradOut / 1) / kH) / kW of its one bin.
 */
export function adaptive_avg_pool2d_uniform_bwd(gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): i32 {
  if (!uniformBins(planes, inH, inW, outH, outW)) return 0;
  const kH = inH / outH, kW = inW / outW;
  const dH = f32x4.splat(<f32>kH), dW = f32x4.splat(<f32>kW), zero = f32x4.splat(0);
  if (kH == 2 && kW == 2) {
    avgPool2dBwdK2S2(gradOut, gradIn, planes, inH, inW, outH, outW, 2, true);
    return 1;
  }
  const inPlane = <usize>inH * <usize>inW;
  let g: usize = gradOut;
  for (let p = 0; p < planes; p++) {
    const base = gradIn + ((<usize>p * inPlane) << 2);
    for (let oh = 0; oh < outH; oh++) {
      const rows = base + (<usize>(oh * kH * inW) << 2);
      let ow = 0;
      if (kW == 2) {
        for (; ow + 4 <= outW; ow += 4, g += 16) {
          const d = f32x4.add(zero, perBin(v128.load(g), dH, dW));
          const lo = v128.shuffle<f32>(d, d, 0, 0, 1, 1), hi = v128.shuffle<f32>(d, d, 2, 2, 3, 3);
          for (let i = 0; i < kH; i++) {
            const row = rows + (<usize>(i * inW + ow * 2) << 2);
            v128.store(row, lo);
            v128.store(row, hi, 16);
          }
        }
      }
      for (; ow < outW; ow++, g += 4) {
        const d = f32x4.extract_lane(f32x4.add(zero, perBin(f32x4.splat(load<f32>(g)), dH, dW)), 0);
        for (let i = 0; i < kH; i++) {
          const row = rows + (<usize>(i * inW + ow * kW) << 2);
          for (let j = 0; j < kW; j++) store<f32>(row + (<usize>j << 2), d);
        }
      }
    }
  }
  return 1;
}

/** out = ((sum / kD) / kH) / kW, each a float32 step, the sum over the bin in row-major order. */
export function adaptive_avg_pool_fwd(x: usize, out: usize, planes: i32,
  inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32): i32 {
  if (!adaptiveCovered(planes, inD, inH, inW, outD, outH, outW)) return 0;
  const inPlane = <usize>inD * <usize>inH * <usize>inW;
  let o: usize = out;
  for (let p = 0; p < planes; p++) {
    const base = x + ((<usize>p * inPlane) << 2);
    for (let od = 0; od < outD; od++) {
      const d0 = adaptiveStart(od, outD, inD), d1 = adaptiveEnd(od, outD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const h0 = adaptiveStart(oh, outH, inH), h1 = adaptiveEnd(oh, outH, inH);
        for (let ow = 0; ow < outW; ow++, o += 4) {
          const w0 = adaptiveStart(ow, outW, inW), w1 = adaptiveEnd(ow, outW, inW);
          let sum: f32 = 0;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              const row = base + ((<usize>(d * inH + h) * <usize>inW) << 2);
              for (let w = w0; w < w1; w++) sum += load<f32>(row + (<usize>w << 2));
            }
          }
          store<f32>(o, sum / <f32>(d1 - d0) / <f32>(h1 - h0) / <f32>(w1 - w0));
        }
      }
    }
  }
  return 1;
}

/** gradIn[bin] += ((gradOut / kD) / kH) / kW, bins in output order (they may overlap). */
export function adaptive_avg_pool_bwd(gradOut: usize, gradIn: usize, planes: i32,
  inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32): i32 {
  if (!adaptiveCovered(planes, inD, inH, inW, outD, outH, outW)) return 0;
  const inPlane = <usize>inD * <usize>inH * <usize>inW;
  let o: usize = gradOut;
  for (let p = 0; p < planes; p++) {
    const base = gradIn + ((<usize>p * inPlane) << 2);
    for (let od = 0; od < outD; od++) {
      const d0 = adaptiveStart(od, outD, inD), d1 = adaptiveEnd(od, outD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const h0 = adaptiveStart(oh, outH, inH), h1 = adaptiveEnd(oh, outH, inH);
        for (let ow = 0; ow < outW; ow++, o += 4) {
          const w0 = adaptiveStart(ow, outW, inW), w1 = adaptiveEnd(ow, outW, inW);
          const delta: f32 = load<f32>(o) / <f32>(d1 - d0) / <f32>(h1 - h0) / <f32>(w1 - w0);
          const dv = f32x4.splat(delta);
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              const row = base + ((<usize>(d * inH + h) * <usize>inW) << 2);
              let w = w0;
              for (; w + 4 <= w1; w += 4) {
                const q = row + (<usize>w << 2);
                v128.store(q, f32x4.add(v128.load(q), dv));
              }
              for (; w < w1; w++) {
                const q = row + (<usize>w << 2);
                store<f32>(q, load<f32>(q) + delta);
              }
            }
          }
        }
      }
    }
  }
  return 1;
}

/** The max-pool rule over each bin: from −inf with the first tap's index, `v > max || v != v`. */
export function adaptive_max_pool_fwd(x: usize, out: usize, indices: usize, planes: i32,
  inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32): i32 {
  if (!adaptiveCovered(planes, inD, inH, inW, outD, outH, outW)) return 0;
  if (<u64>inD * <u64>inH * <u64>inW > <u64>i32.MAX_VALUE) return 0; // indices are int32
  const inPlane = <usize>inD * <usize>inH * <usize>inW;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = x + ((<usize>p * inPlane) << 2);
    for (let od = 0; od < outD; od++) {
      const d0 = adaptiveStart(od, outD, inD), d1 = adaptiveEnd(od, outD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const h0 = adaptiveStart(oh, outH, inH), h1 = adaptiveEnd(oh, outH, inH);
        for (let ow = 0; ow < outW; ow++, o += 4) {
          const w0 = adaptiveStart(ow, outW, inW), w1 = adaptiveEnd(ow, outW, inW);
          let maxIndex: i32 = (d0 * inH + h0) * inW + w0;
          let maxVal: f32 = -Infinity;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              const rowIndex = (d * inH + h) * inW;
              const row = base + (<usize>rowIndex << 2);
              for (let w = w0; w < w1; w++) {
                const v = load<f32>(row + (<usize>w << 2));
                if (v > maxVal || v != v) {
                  maxVal = v;
                  maxIndex = rowIndex + w;
                }
              }
            }
          }
          store<f32>(out + o, maxVal);
          store<i32>(indices + o, maxIndex);
        }
      }
    }
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im for 2-D convolution (src/kernels/ref/conv.ts): one group of one image; rows
// (c, kh, kw), columns (oh, ow). For each (kw) the output columns whose tap lies inside the input
// form one run [owLo, owHi): outside it im2col writes +0 and col2im adds nothing. im2col only
// moves data; col2im adds in the reference's (c, kh, kw, oh, ow) order — with stride 1 four
// columns at once, which touch four different input elements.

@inline function convRunLo(pad: i32, tap: i32, stride: i32): i32 {
  const t = pad - tap; // first ow with ow·stride ≥ pad − tap
  return t <= 0 ? 0 : (t + stride - 1) / stride;
}
@inline function convRunHi(inSize: i32, pad: i32, tap: i32, stride: i32, out: i32): i32 {
  const t = inSize - 1 + pad - tap; // last ow with ow·stride ≤ in − 1 + pad − tap
  return t < 0 ? 0 : min<i32>(t / stride + 1, out);
}

/** `n` floats at `dst` set to +0: memory.fill (the engine's memset) for a few hundred bytes or more, else inline. */
@inline function zeroRange(dst: usize, n: i32): void {
  if (n >= 128) memory.fill(dst, 0, <usize>n << 2);
  else zeroF32(dst, n);
}

// Rows here are short (a LeNet row is 10–28 floats): inline loops beat memory.copy / memory.fill,
// which are calls into the engine.
@inline function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + (<usize>i << 2)));
}
@inline function zeroF32(dst: usize, n: i32): void {
  const z = i32x4.splat(0);
  const end = dst + (<usize>n << 2);
  let p = dst;
  for (; p + 64 <= end; p += 64) {
    v128.store(p, z); v128.store(p, z, 16); v128.store(p, z, 32); v128.store(p, z, 48);
  }
  for (; p + 16 <= end; p += 16) v128.store(p, z);
  for (; p < end; p += 4) store<u32>(p, 0);
}

export function im2col(x: usize, col: usize, cin: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32): i32 {
  if (cin < 0 || inH < 0 || inW < 0 || outH < 0 || outW < 0 || kH < 0 || kW < 0 || sH <= 0 || sW <= 0 || dilH <= 0 || dilW <= 0) return 0;
  const rowBytes = <usize>outW << 2;
  let r: usize = col;
  for (let c = 0; c < cin; c++) {
    const plane = x + ((<usize>c * <usize>inH * <usize>inW) << 2);
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const tapW = kw * dilW;
        const lo = convRunLo(padW, tapW, sW);
        const hi = max<i32>(convRunHi(inW, padW, tapW, sW, outW), lo);
        const n = hi - lo;
        for (let oh = 0; oh < outH; oh++, r += rowBytes) {
          const h = oh * sH - padH + kh * dilH;
          if (h < 0 || h >= inH || n == 0) {
            zeroF32(r, outW);
            continue;
          }
          if (lo > 0) zeroF32(r, lo);
          if (hi < outW) zeroF32(r + (<usize>hi << 2), outW - hi);
          const src = plane + ((<usize>h * <usize>inW + <usize>(lo * sW - padW + tapW)) << 2);
          const dst = r + (<usize>lo << 2);
          if (sW == 1) copyF32(dst, src, n);
          else {
            const step = <usize>sW << 2;
            for (let i = 0; i < n; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + <usize>i * step));
          }
        }
      }
    }
  }
  return 1;
}

export function col2im(col: usize, dx: usize, cin: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32): i32 {
  if (cin < 0 || inH < 0 || inW < 0 || outH < 0 || outW < 0 || kH < 0 || kW < 0 || sH <= 0 || sW <= 0 || dilH <= 0 || dilW <= 0) return 0;
  const rowBytes = <usize>outW << 2;
  let r: usize = col;
  for (let c = 0; c < cin; c++) {
    const plane = dx + ((<usize>c * <usize>inH * <usize>inW) << 2);
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const tapW = kw * dilW;
        const lo = convRunLo(padW, tapW, sW);
        const hi = max<i32>(convRunHi(inW, padW, tapW, sW, outW), lo);
        const n = hi - lo;
        for (let oh = 0; oh < outH; oh++, r += rowBytes) {
          const h = oh * sH - padH + kh * dilH;
          if (h < 0 || h >= inH || n == 0) continue;
          const dst = plane + ((<usize>h * <usize>inW + <usize>(lo * sW - padW + tapW)) << 2);
          const src = r + (<usize>lo << 2);
          if (sW == 1) {
            let i = 0;
            for (; i + 4 <= n; i += 4) {
              const q = dst + (<usize>i << 2);
              v128.store(q, f32x4.add(v128.load(q), v128.load(src + (<usize>i << 2))));
            }
            for (; i < n; i++) {
              const q = dst + (<usize>i << 2);
              store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>i << 2)));
            }
          } else {
            const step = <usize>sW << 2;
            for (let i = 0; i < n; i++) {
              const q = dst + <usize>i * step;
              store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>i << 2)));
            }
          }
        }
      }
    }
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// ReLU (src/kernels/ref/elementwise.ts): forward `v < 0 ? +0 : v` (NaN and −0 pass through, as
// ATen's clamp_min), backward `out <= 0 ? +0 : g` (a NaN output keeps its gradient). A lane mask
// clears exactly the lanes the reference zeroes, so the bits are the reference's.

export function relu_fwd(x: usize, out: usize, n: i32): i32 {
  if (n < 0) return 0;
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p);
    v128.store(out + p, v128.andnot(v, f32x4.lt(v, zero)));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(x + p);
    store<f32>(out + p, v < 0 ? 0 : v);
  }
  return 1;
}

export function relu_bwd(out: usize, gradOut: usize, gradIn: usize, n: i32): i32 {
  if (n < 0) return 0;
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = <usize>i << 2;
    v128.store(gradIn + p, v128.andnot(v128.load(gradOut + p), f32x4.le(v128.load(out + p), zero)));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(gradIn + p, load<f32>(out + p) <= 0 ? 0 : load<f32>(gradOut + p));
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// 2-D convolution over a range of images (src/kernels/conv.ts conv2d_fwd / conv2d_bwd): per
// image and group the same im2col and GEMM calls, in the same order, as the loop of pieces there
// — one call per task of the worker pool. `col` holds cinPerGroup·kH·kW × outH·outW floats and
// `work` gemm_work_bytes(); both are the task's own.

export function conv2d_fwd_images(
  x: usize, w: usize, b: usize, y: usize, col: usize, work: usize, cols: usize, images: i32,
  cin: i32, inH: i32, inW: i32, cout: i32, groups: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32,
): i32 {
  if (images < 0 || groups < 1 || cin % groups != 0 || cout % groups != 0) return 0;
  const cinG = cin / groups, coutG = cout / groups;
  const L = outH * outW, K = cinG * kH * kW;
  for (let n = 0; n < images; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const xp = x + (<usize>((n * cin + grp * cinG) * inH * inW) << 2);
      const yp = y + (<usize>((n * cout + grp * coutG) * L) << 2);
      // cols != 0: keep every image's col there for the backward (its gw GEMM then skips im2col).
      const cp = cols != 0 ? cols + (<usize>(n * groups + grp) * <usize>(K * L) << 2) : col;
      if (!im2col(xp, cp, cinG, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW)) return 0;
      if (b != 0) {
        for (let o = 0; o < coutG; o++) {
          const bias = f32x4.splat(load<f32>(b + (<usize>(grp * coutG + o) << 2)));
          const row = yp + (<usize>(o * L) << 2);
          let l = 0;
          for (; l + 4 <= L; l += 4) v128.store(row + (<usize>l << 2), bias);
          for (; l < L; l++) store<f32>(row + (<usize>l << 2), f32x4.extract_lane(bias, 0));
        }
      }
      if (!sgemm(w + (<usize>(grp * coutG * K) << 2), cp, yp, coutG, L, K, 0, 0, work)) return 0;
    }
  }
  return 1;
}

/** gw += Σ gy · colᵀ and gx += col2im(wᵀ · gy) over `images` images; gw or gx 0 to skip it. */
export function conv2d_bwd_images(
  x: usize, w: usize, gy: usize, gx: usize, gw: usize, col: usize, work: usize, cols: usize, images: i32,
  cin: i32, inH: i32, inW: i32, cout: i32, groups: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32,
): i32 {
  if (images < 0 || groups < 1 || cin % groups != 0 || cout % groups != 0) return 0;
  const cinG = cin / groups, coutG = cout / groups;
  const L = outH * outW, K = cinG * kH * kW;
  for (let n = 0; n < images; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const xOff = <usize>((n * cin + grp * cinG) * inH * inW) << 2;
      const gyp = gy + (<usize>((n * cout + grp * coutG) * L) << 2);
      const wOff = <usize>(grp * coutG * K) << 2;
      if (gw != 0) {
        // cols != 0: the forward's col of this image and group (same values im2col would make).
        let cp = col;
        if (cols != 0) cp = cols + (<usize>(n * groups + grp) * <usize>(K * L) << 2);
        else if (!im2col(x + xOff, col, cinG, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW)) return 0;
        if (!sgemm(gyp, cp, gw + wOff, coutG, K, L, 0, 1, work)) return 0;
      }
      if (gx != 0) {
        memory.fill(col, 0, <usize>(K * L) << 2);
        if (!sgemm(w + wOff, gyp, col, K, L, coutG, 1, 0, work)) return 0;
        if (!col2im(col, gx + xOff, cinG, inH, inW, outH, outW, kH, kW, sH, sW, padH, padW, dilH, dilW)) return 0;
      }
    }
  }
  return 1;
}

/** dst[i] += src_0[i] + … in order, for `parts` arrays of n floats laid out one after another. */
export function add_parts(dst: usize, src: usize, parts: i32, n: i32): i32 {
  if (parts < 0 || n < 0) return 0;
  for (let t = 0; t < parts; t++) {
    const s = src + (<usize>t * <usize>n << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p = <usize>i << 2;
      v128.store(dst + p, f32x4.add(v128.load(dst + p), v128.load(s + p)));
    }
    for (; i < n; i++) {
      const p = <usize>i << 2;
      store<f32>(dst + p, load<f32>(dst + p) + load<f32>(s + p));
    }
  }
  return 1;
}

export * from './lp';

/**
 * gb[o] += Σ_l gy[n, o, l] for n in order, channels [o0, o1) — each channel's sums are the
 * reference's (addBiasGrad: per image a float64 sum over l from +0, added to gb[o] and rounded),
 * so a split by channels gives the same bits.
 */
export function bias_grad(gy: usize, gb: usize, batch: i32, cout: i32, L: i32, o0: i32, o1: i32): i32 {
  if (batch < 0 || cout < 0 || L < 0 || o0 < 0 || o1 > cout || o0 > o1) return 0;
  const rowBytes = <usize>L << 2;
  for (let n = 0; n < batch; n++) {
    let o = o0;
    // Four channels side by side: their rows transposed four columns at a time, each float64
    // lane summing one row in order, as the scalar loop below — four sums in flight instead of
    // one (the loop is bound by the add's latency).
    for (; o + 4 <= o1; o += 4) {
      const r0 = gy + (<usize>((n * cout + o) * L) << 2);
      let s01 = f64x2.splat(0), s23 = f64x2.splat(0);
      let q: usize = 0;
      const end = <usize>(L & ~3) << 2;
      for (; q < end; q += 16) {
        const a = v128.load(r0 + q), b = v128.load(r0 + rowBytes + q);
        const c = v128.load(r0 + 2 * rowBytes + q), d = v128.load(r0 + 3 * rowBytes + q);
        const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
        const ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(ab01));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(cd01));
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(v128.shuffle<f32>(ab01, ab01, 2, 3, 2, 3)));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(v128.shuffle<f32>(cd01, cd01, 2, 3, 2, 3)));
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(ab23));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(cd23));
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(v128.shuffle<f32>(ab23, ab23, 2, 3, 2, 3)));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(v128.shuffle<f32>(cd23, cd23, 2, 3, 2, 3)));
      }
      biasRowDone(gb, o, r0, q, rowBytes, f64x2.extract_lane(s01, 0));
      biasRowDone(gb, o + 1, r0 + rowBytes, q, rowBytes, f64x2.extract_lane(s01, 1));
      biasRowDone(gb, o + 2, r0 + 2 * rowBytes, q, rowBytes, f64x2.extract_lane(s23, 0));
      biasRowDone(gb, o + 3, r0 + 3 * rowBytes, q, rowBytes, f64x2.extract_lane(s23, 1));
    }
    for (; o < o1; o++) {
      const row = gy + (<usize>((n * cout + o) * L) << 2);
      let s: f64 = 0; // as the reference: a float64 sum, added to gb and rounded once
      for (let l = 0; l < L; l++) s += <f64>load<f32>(row + (<usize>l << 2));
      const q = gb + (<usize>o << 2);
      store<f32>(q, <f32>(<f64>load<f32>(q) + s));
    }
  }
  return 1;
}

/** Row `o`'s float64 sum `s` of its first q bytes, continued to its end in order, added onto gb[o] and rounded once. */
@inline function biasRowDone(gb: usize, o: i32, row: usize, q: usize, rowBytes: usize, s: f64): void {
  for (; q < rowBytes; q += 4) s += <f64>load<f32>(row + q);
  const p = gb + (<usize>o << 2);
  store<f32>(p, <f32>(<f64>load<f32>(p) + s));
}

/**
 * 3-D max pooling's depth step, after the 2-D kernel has pooled every (plane, depth) slice into
 * `t` (planes·inD slices of `area` = outH·outW values, indices within the slice in `ti`): per
 * output depth, the reference's rule over the depth taps in order. (d, h, w) row-major order is
 * depth-major, so the first maximum and the last NaN of the whole window are those of the first
 * and last slice holding them: values and indices are the reference's. ti = 0: values only.
 */
export function max_pool_depth(t: usize, ti: usize, out: usize, indices: usize, planes: i32, inD: i32, outD: i32,
  area: i32, inArea: i32, kD: i32, sD: i32, padD: i32, dilD: i32): i32 {
  if (planes < 0 || inD < 1 || outD < 1 || area < 0 || kD < 1 || sD < 1 || dilD < 1 || padD < 0) return 0;
  const withIdx = ti != 0;
  const sliceBytes = <usize>area << 2;
  for (let p = 0; p < planes; p++) {
    const tp = t + <usize>p * <usize>inD * sliceBytes;
    const ip = ti + <usize>p * <usize>inD * sliceBytes;
    for (let od = 0; od < outD; od++) {
      const dStart = od * sD - padD;
      const dFirst = tapFirst(dStart, dilD);
      const dCount = tapCount(dFirst, dStart, kD, dilD, inD);
      const op = out + ((<usize>(p * outD + od) * <usize>area) << 2);
      const oi = indices + ((<usize>(p * outD + od) * <usize>area) << 2);
      let i = 0;
      for (; i + 4 <= area; i += 4) {
        const at = <usize>i << 2;
        let best = f32x4.splat(-Infinity);
        let bestIdx = i32x4.splat(0);
        if (withIdx) bestIdx = i32x4.add(v128.load(ip + <usize>dFirst * sliceBytes + at), i32x4.splat(dFirst * inArea));
        for (let j = 0, d = dFirst; j < dCount; j++, d += dilD) {
          const v = v128.load(tp + <usize>d * sliceBytes + at);
          const take = maxTap(v, best);
          best = v128.bitselect(v, best, take);
          if (withIdx) bestIdx = v128.bitselect(i32x4.add(v128.load(ip + <usize>d * sliceBytes + at), i32x4.splat(d * inArea)), bestIdx, take);
        }
        v128.store(op + at, best);
        if (withIdx) v128.store(oi + at, bestIdx);
      }
      for (; i < area; i++) {
        const at = <usize>i << 2;
        let best: f32 = -Infinity;
        let bestIdx = withIdx ? load<i32>(ip + <usize>dFirst * sliceBytes + at) + dFirst * inArea : 0;
        for (let j = 0, d = dFirst; j < dCount; j++, d += dilD) {
          const v = load<f32>(tp + <usize>d * sliceBytes + at);
          if (v > best || v != v) {
            best = v;
            if (withIdx) bestIdx = load<i32>(ip + <usize>d * sliceBytes + at) + d * inArea;
          }
        }
        store<f32>(op + at, best);
        if (withIdx) store<i32>(oi + at, bestIdx);
      }
    }
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Average pooling, 3-D, directly (a sum split by depth slices would round differently): the 2-D
// kernels' rules with a depth loop outside — taps summed from +0 in (d, h, w) order, divided by
// the padded or valid tap count or the override; a window without a valid tap gives +0.

@inline function avg3dCovered(planes: i32, inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, padD: i32, padH: i32, padW: i32,
  padEndD: i32, padEndH: i32, padEndW: i32, dilD: i32, dilH: i32, dilW: i32, divisorOverride: i32): bool {
  return planes >= 0 && min(min(inD, inH), min(inW, outD)) >= 1 && min(min(outH, outW), min(kD, kH)) >= 1 && kW >= 1 &&
    min(min(sD, sH), min(sW, dilD)) >= 1 && min(dilH, dilW) >= 1 && min(min(padD, padH), min(padW, padEndD)) >= 0 &&
    min(padEndH, padEndW) >= 0 && <i64>kD * <i64>kH <= (1 << 24) && divisorFits(divisorOverride, kD * kH, kW);
}

export function avg_pool3d_fwd(
  x: usize, out: usize, planes: i32, inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, padD: i32, padH: i32, padW: i32,
  padEndD: i32, padEndH: i32, padEndW: i32, dilD: i32, dilH: i32, dilW: i32, countIncludePad: i32, divisorOverride: i32,
): i32 {
  if (!avg3dCovered(planes, inD, inH, inW, outD, outH, outW, kD, kH, kW, sD, sH, sW, padD, padH, padW,
      padEndD, padEndH, padEndW, dilD, dilH, dilW, divisorOverride)) return 0;
  const inPlane = <usize>inD * <usize>inH * <usize>inW;
  const owLo = min<i32>(interiorLo(padW, sW), outW);
  const owHi = max<i32>(interiorHi(inW, kW, dilW, padW, sW, outW), owLo);
  const zero = f32x4.splat(0);
  let o: usize = out;
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * inPlane) << 2);
    for (let od = 0; od < outD; od++) {
      const dStart = od * sD - padD;
      const dFirst = tapFirst(dStart, dilD);
      const dCount = tapCount(dFirst, dStart, kD, dilD, inD);
      const dPadded = tapPadded(dStart, kD, dilD, inD, padEndD);
      for (let oh = 0; oh < outH; oh++, o += <usize>outW << 2) {
        const hStart = oh * sH - padH;
        const hFirst = tapFirst(hStart, dilH);
        const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
        const hPadded = tapPadded(hStart, kH, dilH, inH, padEndH);
        if (dCount == 0 || hCount == 0) {
          zeroF32(o, outW);
          continue;
        }
        const div = f32x4.splat(avgDivisor(divisorOverride, countIncludePad, dPadded * hPadded * kW, dCount * hCount * kW));
        let ow = owLo;
        for (; ow + 4 <= owHi; ow += 4) {
          const w0 = ow * sW - padW;
          let sum = zero;
          for (let a = 0, d = dFirst; a < dCount; a++, d += dilD) {
            for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
              const row = xp + (<usize>((d * inH + h) * inW + w0) << 2);
              for (let j = 0, w = 0; j < kW; j++, w += dilW) sum = f32x4.add(sum, loadStrided(row + (<usize>w << 2), sW));
            }
          }
          v128.store(o + (<usize>ow << 2), f32x4.div(sum, div));
        }
        for (let c = 0; c < outW; c++) {
          if (c == owLo) c = ow;
          if (c >= outW) break;
          const wStart = c * sW - padW;
          const wFirst = tapFirst(wStart, dilW);
          const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
          if (wCount == 0) {
            store<f32>(o + (<usize>c << 2), 0);
            continue;
          }
          const wPadded = tapPadded(wStart, kW, dilW, inW, padEndW);
          let sum: f32 = 0;
          for (let a = 0, d = dFirst; a < dCount; a++, d += dilD) {
            for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
              for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) sum += load<f32>(xp + (<usize>((d * inH + h) * inW + w) << 2));
            }
          }
          store<f32>(o + (<usize>c << 2), sum / avgDivisor(divisorOverride, countIncludePad, dPadded * hPadded * wPadded, dCount * hCount * wCount));
        }
      }
    }
  }
  return 1;
}

/** 3-D average backward: each output's gradOut / divisor added to its valid taps, outputs in order (windows may overlap). */
export function avg_pool3d_bwd(
  gradOut: usize, gradIn: usize, planes: i32, inD: i32, inH: i32, inW: i32, outD: i32, outH: i32, outW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, padD: i32, padH: i32, padW: i32,
  padEndD: i32, padEndH: i32, padEndW: i32, dilD: i32, dilH: i32, dilW: i32, countIncludePad: i32, divisorOverride: i32,
): i32 {
  if (!avg3dCovered(planes, inD, inH, inW, outD, outH, outW, kD, kH, kW, sD, sH, sW, padD, padH, padW,
      padEndD, padEndH, padEndW, dilD, dilH, dilW, divisorOverride)) return 0;
  const inPlane = <usize>inD * <usize>inH * <usize>inW;
  let o: usize = gradOut;
  for (let p = 0; p < planes; p++) {
    const gp = gradIn + ((<usize>p * inPlane) << 2);
    for (let od = 0; od < outD; od++) {
      const dStart = od * sD - padD;
      const dFirst = tapFirst(dStart, dilD);
      const dCount = tapCount(dFirst, dStart, kD, dilD, inD);
      const dPadded = tapPadded(dStart, kD, dilD, inD, padEndD);
      for (let oh = 0; oh < outH; oh++) {
        const hStart = oh * sH - padH;
        const hFirst = tapFirst(hStart, dilH);
        const hCount = tapCount(hFirst, hStart, kH, dilH, inH);
        const hPadded = tapPadded(hStart, kH, dilH, inH, padEndH);
        for (let ow = 0; ow < outW; ow++, o += 4) {
          const wStart = ow * sW - padW;
          const wFirst = tapFirst(wStart, dilW);
          const wCount = tapCount(wFirst, wStart, kW, dilW, inW);
          if (dCount == 0 || hCount == 0 || wCount == 0) continue;
          const wPadded = tapPadded(wStart, kW, dilW, inW, padEndW);
          const delta = load<f32>(o) / avgDivisor(divisorOverride, countIncludePad, dPadded * hPadded * wPadded, dCount * hCount * wCount);
          for (let a = 0, d = dFirst; a < dCount; a++, d += dilD) {
            for (let i = 0, h = hFirst; i < hCount; i++, h += dilH) {
              for (let j = 0, w = wFirst; j < wCount; j++, w += dilW) {
                const q = gp + (<usize>((d * inH + h) * inW + w) << 2);
                store<f32>(q, load<f32>(q) + delta);
              }
            }
          }
        }
      }
    }
  }
  return 1;
}
