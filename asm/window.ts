// Window geometry shared by the pooling kernels (asm/kernels.ts, asm/lp.ts).

// Window taps along one dimension, as windowTaps() in src/kernels/ref/pool.ts: window `o` starts
// at `o·stride − pad`; its taps inside the input start at `first` (stepped up by the dilation
// while negative) and number `count`; `padded` counts the taps inside [−pad, in + padEnd).

// Dilation 1 is the common case: it skips the integer divisions (tens of cycles each, paid per
// output row and per edge column).

@inline export function tapFirst(start: i32, dil: i32): i32 {
  if (dil == 1) return start < 0 ? 0 : start;
  return start < 0 ? start + ((-start + dil - 1) / dil) * dil : start;
}

@inline export function tapCount(first: i32, start: i32, k: i32, dil: i32, inSize: i32): i32 {
  const hi = min<i32>(start + (k - 1) * dil + 1, inSize);
  if (dil == 1) return first < hi ? hi - first : 0;
  return first < hi ? (hi - first + dil - 1) / dil : 0;
}

@inline export function tapPadded(start: i32, k: i32, dil: i32, inSize: i32, padEnd: i32): i32 {
  const end = min<i32>(start + (k - 1) * dil + 1, inSize + padEnd);
  return dil == 1 ? end - start : (end - start + dil - 1) / dil;
}

/** First output column whose window lies wholly inside the input, and one past the last. */
@inline export function interiorLo(pad: i32, stride: i32): i32 {
  return (pad + stride - 1) / stride;
}
@inline export function interiorHi(inSize: i32, k: i32, dil: i32, pad: i32, stride: i32, out: i32): i32 {
  const last = inSize - 1 - (k - 1) * dil + pad; // the largest window start + pad that fits
  if (last < 0) return 0;
  return min<i32>(last / stride + 1, out);
}

/** Four floats at `p`, `p + s`, `p + 2s`, `p + 3s` (s in floats). */
@inline export function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const b = <usize>s << 2;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + b));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * b));
  v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * b));
  return v;
}
