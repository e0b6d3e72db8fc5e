// A first look at poolkit: run with `npm run example` after `npm ci`.
import {
  tensor, maxPool2dWithIndices, maxUnpool2d, avgPool2d, adaptiveAvgPool2d, fractionalMaxPool2d, sum, Generator,
} from 'poolkit';

const show = (t) => JSON.stringify(t.toArray(), (_, v) => (typeof v === 'number' ? +v.toPrecision(6) : v));

// A 1×1×4×4 feature map that requires gradients.
const x = tensor(
  [[[[1, 5, 2, 0],
     [3, 4, 8, 1],
     [0, 6, 7, 2],
     [9, 1, 3, 4]]]],
  undefined,
  { requiresGrad: true },
);

// PyTorch's ceil-mode rule: 3×3 windows with stride 2 over 4×4 give 2×2.
const { output, indices } = maxPool2dWithIndices(x, { kernelSize: 3, stride: 2, ceilMode: true });
console.log('max pool 3×3/2, ceil mode:', show(output));
console.log('argmax (flat h·W + w):    ', show(indices));

// Gradients route to the argmax; overlapping windows accumulate.
sum(output).backward();
console.log('d sum / dx:               ', show(x.grad));

// Unpooling puts each maximum back where it came from.
console.log('unpooled:                 ', show(maxUnpool2d(output, indices, { kernelSize: 3, stride: 2, outputSize: [4, 4] })));

// Average pooling: padding counted in the divisor by default, or not.
console.log('avg 3×3/2 pad 1:          ', show(avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 })));
console.log('  without padding count:  ', show(avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false })));

// Adaptive pooling to any size; fractional pooling with a seeded generator.
console.log('adaptive avg → 3×3:       ', show(adaptiveAvgPool2d(x, 3)));
console.log('fractional max → 3×3:     ', show(fractionalMaxPool2d(x, { kernelSize: 2, outputSize: 3, generator: new Generator(7) })));
