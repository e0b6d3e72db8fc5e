import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { UsageError } from './args.js';

/**
 * Decodes a PNG (any size, colour type or bit depth; pngjs) into a 28×28 grey image laid out as
 * MNIST: white strokes on black, values 0–255. Colour becomes luminance over a white
 * background for transparent pixels; a light background is inverted; the image is scaled by
 * area averaging into the 28×28 square, keeping its aspect ratio and centring it.
 */
export async function readDigit(file: string, size = 28): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    throw new UsageError(`${file} is not a valid PNG image (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  if (width === 0 || height === 0) throw new UsageError(`${file} has no pixels`);
  const grey = new Float64Array(width * height);
  let mean = 0;
  for (let i = 0; i < width * height; i++) {
    const a = data[4 * i + 3]! / 255;
    const lum = 0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!;
    grey[i] = lum * a + 255 * (1 - a);
    mean += grey[i]!;
  }
  mean /= width * height;
  if (mean > 127.5) for (let i = 0; i < grey.length; i++) grey[i] = 255 - grey[i]!;

  // Fit the longer side into the square; area-average each target pixel's footprint.
  const scale = Math.max(width, height) / size;
  const offX = (size - width / scale) / 2;
  const offY = (size - height / scale) / 2;
  const out = new Uint8Array(size * size);
  for (let ty = 0; ty < size; ty++) {
    for (let tx = 0; tx < size; tx++) {
      const x0 = (tx - offX) * scale, x1 = (tx + 1 - offX) * scale;
      const y0 = (ty - offY) * scale, y1 = (ty + 1 - offY) * scale;
      let sum = 0;
      for (let sy = Math.max(0, Math.floor(y0)); sy < Math.min(height, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.max(0, Math.floor(x0)); sx < Math.min(width, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += grey[sy * width + sx]! * wx * wy;
        }
      }
      out[ty * size + tx] = Math.round(Math.min(255, Math.max(0, sum / (scale * scale))));
    }
  }
  return out;
}
