// Reference pooling kernels: the most obvious loops, in PyTorch's CPU loop order, float32 at
// every step (a Float32Array store rounds; Math.fround rounds a running sum). Pure functions over
// typed arrays and a geometry record; they trust their geometry and never throw.
//
// Every sliding-window kernel works on the 3-D record (1-D and 2-D have size-1 leading dims).

import type { AdaptiveGeometry, FractionalGeometry, PoolGeometry, UnpoolGeometry } from '../../pool/geometry.js';

const f32 = Math.fround;

/**
 * The taps of each window along one dimension: window `o` starts at `o·stride − pad`; its taps
 * are `start + i·dilation` for `i < kernel`. `first`/`count` give the taps inside the input
 * (ATen: step the start up by the dilation while it is negative, stop at the input's end);
 * `padded` counts the taps inside the padded extent `[−pad, in + padEnd)`, the average-pooling
 * divisor with `countIncludePad` (it leaves out the ceil-mode overhang).
 */
export interface Taps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly padded: Int32Array;
}

export function windowTaps(out: number, stride: number, pad: number, padEnd: number, kernel: number, dilation: number, inSize: number): Taps {
  const first = new Int32Array(out);
  const count = new Int32Array(out);
  const padded = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const start = o * stride - pad;
    const end = start + (kernel - 1) * dilation + 1;
    let lo = start;
    if (lo < 0) lo += Math.ceil(-lo / dilation) * dilation;
    const hi = Math.min(end, inSize);
    first[o] = lo;
    count[o] = lo < hi ? Math.ceil((hi - lo) / dilation) : 0;
    padded[o] = Math.ceil((Math.min(end, inSize + padEnd) - start) / dilation);
  }
  return { first, count, padded };
}

function taps3(g: PoolGeometry): [Taps, Taps, Taps] {
  return [
    windowTaps(g.outD, g.sD, g.padD, g.padEndD, g.kD, g.dilD, g.inD),
    windowTaps(g.outH, g.sH, g.padH, g.padEndH, g.kH, g.dilH, g.inH),
    windowTaps(g.outW, g.sW, g.padW, g.padEndW, g.kW, g.dilW, g.inW),
  ];
}

/**
 * Max pooling: padded taps never win, the first maximum wins ties, a NaN wins (the last one).
 * `indices` null: values only.
 */
export function max_pool_fwd__ref(x: Float32Array, g: PoolGeometry, out: Float32Array, indices: Int32Array | null): void {
  const [tD, tH, tW] = taps3(g);
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          let maxIndex = (tD.first[od]! * g.inH + tH.first[oh]!) * g.inW + tW.first[ow]!;
          let maxVal = -Infinity;
          for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
            for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) {
              for (let k = 0, w = tW.first[ow]!; k < tW.count[ow]!; k++, w += g.dilW) {
                const index = (d * g.inH + h) * g.inW + w;
                const v = x[base + index]!;
                if (v > maxVal || v !== v) {
                  maxVal = v;
                  maxIndex = index;
                }
              }
            }
          }
          out[o] = maxVal;
          if (indices) indices[o] = maxIndex;
        }
      }
    }
  }
}

/**
 * The backward of every max-style pooling (sliding, adaptive, fractional): each output's whole
 * gradient goes to its recorded input index, accumulating where windows overlap.
 */
export function max_pool_bwd__ref(gradOut: Float32Array, indices: Int32Array, planes: number, inPlane: number, outPlane: number, gradIn: Float32Array): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let j = 0; j < outPlane; j++, o++) {
      const index = indices[o]!;
      if (index >= 0 && index < inPlane) gradIn[base + index] += gradOut[o]!;
    }
  }
}

export interface AvgOptions {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | undefined;
}

function divisor(opts: AvgOptions, padded: number, valid: number): number {
  return opts.divisorOverride ?? (opts.countIncludePad ? padded : valid);
}

/** Average pooling: float32 sum of the taps inside the input over the divisor (ATen AvgPoolKernel.cpp). */
export function avg_pool_fwd__ref(x: Float32Array, g: PoolGeometry, opts: AvgOptions, out: Float32Array): void {
  const [tD, tH, tW] = taps3(g);
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const valid = tD.count[od]! * tH.count[oh]! * tW.count[ow]!;
          if (valid === 0) {
            out[o] = 0;
            continue;
          }
          let sum = 0;
          for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
            for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) {
              for (let k = 0, w = tW.first[ow]!; k < tW.count[ow]!; k++, w += g.dilW) {
                sum = f32(sum + x[base + (d * g.inH + h) * g.inW + w]!);
              }
            }
          }
          out[o] = sum / divisor(opts, tD.padded[od]! * tH.padded[oh]! * tW.padded[ow]!, valid);
        }
      }
    }
  }
}

/** Average pooling backward: each tap inside the input gets `gradOut / divisor`. */
export function avg_pool_bwd__ref(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): void {
  const [tD, tH, tW] = taps3(g);
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const valid = tD.count[od]! * tH.count[oh]! * tW.count[ow]!;
          if (valid === 0) continue;
          const delta = f32(gradOut[o]! / divisor(opts, tD.padded[od]! * tH.padded[oh]! * tW.padded[ow]!, valid));
          for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
            for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) {
              for (let k = 0, w = tW.first[ow]!; k < tW.count[ow]!; k++, w += g.dilW) {
                gradIn[base + (d * g.inH + h) * g.inW + w] += delta;
              }
            }
          }
        }
      }
    }
  }
}

/** ATen AdaptivePooling.h: bin `o` of `out` over `in` is `[floor(o·in/out), ceil((o+1)·in/out))`. */
export function adaptiveStart(o: number, out: number, inSize: number): number {
  return Math.floor((o * inSize) / out);
}
export function adaptiveEnd(o: number, out: number, inSize: number): number {
  return Math.ceil(((o + 1) * inSize) / out);
}

/** Adaptive average pooling: float32 sum divided by each bin extent in turn (`sum / kD / kH / kW`, as ATen). */
export function adaptive_avg_pool_fwd__ref(x: Float32Array, g: AdaptiveGeometry, out: Float32Array): void {
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      const d0 = adaptiveStart(od, g.outD, g.inD), d1 = adaptiveEnd(od, g.outD, g.inD);
      for (let oh = 0; oh < g.outH; oh++) {
        const h0 = adaptiveStart(oh, g.outH, g.inH), h1 = adaptiveEnd(oh, g.outH, g.inH);
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const w0 = adaptiveStart(ow, g.outW, g.inW), w1 = adaptiveEnd(ow, g.outW, g.inW);
          let sum = 0;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) sum = f32(sum + x[base + (d * g.inH + h) * g.inW + w]!);
            }
          }
          out[o] = f32(f32(sum / (d1 - d0)) / (h1 - h0)) / (w1 - w0);
        }
      }
    }
  }
}

export function adaptive_avg_pool_bwd__ref(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): void {
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      const d0 = adaptiveStart(od, g.outD, g.inD), d1 = adaptiveEnd(od, g.outD, g.inD);
      for (let oh = 0; oh < g.outH; oh++) {
        const h0 = adaptiveStart(oh, g.outH, g.inH), h1 = adaptiveEnd(oh, g.outH, g.inH);
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const w0 = adaptiveStart(ow, g.outW, g.inW), w1 = adaptiveEnd(ow, g.outW, g.inW);
          const delta = f32(f32(f32(gradOut[o]! / (d1 - d0)) / (h1 - h0)) / (w1 - w0));
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) gradIn[base + (d * g.inH + h) * g.inW + w] += delta;
            }
          }
        }
      }
    }
  }
}

/** Adaptive max pooling: the max-pool rule (first maximum, last NaN) over each bin. */
export function adaptive_max_pool_fwd__ref(x: Float32Array, g: AdaptiveGeometry, out: Float32Array, indices: Int32Array | null): void {
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      const d0 = adaptiveStart(od, g.outD, g.inD), d1 = adaptiveEnd(od, g.outD, g.inD);
      for (let oh = 0; oh < g.outH; oh++) {
        const h0 = adaptiveStart(oh, g.outH, g.inH), h1 = adaptiveEnd(oh, g.outH, g.inH);
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const w0 = adaptiveStart(ow, g.outW, g.inW), w1 = adaptiveEnd(ow, g.outW, g.inW);
          let maxIndex = (d0 * g.inH + h0) * g.inW + w0;
          let maxVal = -Infinity;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) {
                const index = (d * g.inH + h) * g.inW + w;
                const v = x[base + index]!;
                if (v > maxVal || v !== v) {
                  maxVal = v;
                  maxIndex = index;
                }
              }
            }
          }
          out[o] = maxVal;
          if (indices) indices[o] = maxIndex;
        }
      }
    }
  }
}

/**
 * ATen FractionalMaxPool2d.cpp `generate_intervals`, in float32: window starts
 * `trunc((i + u)·α) − trunc(u·α)` with `α = (in − k) / (out − 1)`, the last one at `in − k`.
 */
export function fractionalStarts(sample: number, inSize: number, outSize: number, kernel: number): Int32Array {
  const starts = new Int32Array(outSize);
  if (outSize > 1) {
    const alpha = f32((inSize - kernel) / (outSize - 1));
    const offset = Math.trunc(f32(sample * alpha));
    for (let i = 0; i < outSize - 1; i++) starts[i] = Math.trunc(f32(f32(i + sample) * alpha)) - offset;
  }
  starts[outSize - 1] = inSize - kernel;
  return starts;
}

/**
 * Fractional max pooling: per plane, windows of the kernel size at the starts drawn from its
 * samples — `samples[plane·k + j]` for dimension j in (T,) H, W order (PyTorch `_random_samples`).
 */
export function fractional_max_pool_fwd__ref(x: Float32Array, g: FractionalGeometry, samples: Float32Array, out: Float32Array, indices: Int32Array): void {
  const inPlane = g.inD * g.inH * g.inW;
  const k = g.nd;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    const s = samples.subarray(p * k, p * k + k);
    const startD = k === 3 ? fractionalStarts(s[0]!, g.inD, g.outD, g.kD) : new Int32Array(1);
    // PyTorch 2-D reads sample 0 for the width and sample 1 for the height; 3-D reads T, H, W.
    const startH = fractionalStarts(s[1]!, g.inH, g.outH, g.kH);
    const startW = fractionalStarts(k === 3 ? s[2]! : s[0]!, g.inW, g.outW, g.kW);
    for (let od = 0; od < g.outD; od++) {
      const d0 = startD[od]!;
      for (let oh = 0; oh < g.outH; oh++) {
        const h0 = startH[oh]!;
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const w0 = startW[ow]!;
          let maxIndex = (d0 * g.inH + h0) * g.inW + w0;
          let maxVal = -Infinity;
          for (let d = d0; d < d0 + g.kD; d++) {
            for (let h = h0; h < h0 + g.kH; h++) {
              for (let w = w0; w < w0 + g.kW; w++) {
                const index = (d * g.inH + h) * g.inW + w;
                const v = x[base + index]!;
                if (v > maxVal || v !== v) {
                  maxVal = v;
                  maxIndex = index;
                }
              }
            }
          }
          out[o] = maxVal;
          if (indices) indices[o] = maxIndex;
        }
      }
    }
  }
}

/** Max unpooling: a zero output with each input value written at its index (a later write wins). */
export function max_unpool_fwd__ref(x: Float32Array, indices: Int32Array, g: UnpoolGeometry, out: Float32Array): void {
  out.fill(0);
  let i = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * g.outPlane;
    for (let j = 0; j < g.inPlane; j++, i++) out[base + indices[i]!] = x[i]!;
  }
}

/** Max unpooling backward: each input reads the gradient at its index. */
export function max_unpool_bwd__ref(gradOut: Float32Array, indices: Int32Array, g: UnpoolGeometry, gradIn: Float32Array): void {
  let i = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * g.outPlane;
    for (let j = 0; j < g.inPlane; j++, i++) gradIn[i] = gradOut[base + indices[i]!]!;
  }
}
