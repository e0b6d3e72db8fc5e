import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as pk from '../../src/index.js';

const x = pk.tensor(Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => Math.sin(i * 1.7) * 10), [2, 3, 6, 6]);

describe('pooling modules', () => {
  test('each module gives what its function gives with the same options', () => {
    const same = (a: pk.Tensor, b: pk.Tensor) => assert.deepEqual([...a.data], [...b.data]);
    same(new pk.MaxPool2d({ kernelSize: 3, stride: 2, ceilMode: true }).forward(x), pk.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }));
    same(new pk.MaxPool2d(2).forward(x), pk.maxPool2d(x, { kernelSize: 2 }));
    same(new pk.AvgPool2d({ kernelSize: 3, padding: 1, countIncludePad: false }).forward(x), pk.avgPool2d(x, { kernelSize: 3, padding: 1, countIncludePad: false }));
    same(new pk.LPPool2d(2, { kernelSize: 2 }).forward(pk.abs(x)), pk.lpPool2d(pk.abs(x), 2, { kernelSize: 2 }));
    same(new pk.AdaptiveAvgPool2d([4, null]).forward(x), pk.adaptiveAvgPool2d(x, [4, null]));
    same(new pk.AdaptiveMaxPool2d(3).forward(x), pk.adaptiveMaxPool2d(x, 3));
    const x1 = pk.reshape(x, [2, 3, 36]);
    same(new pk.MaxPool1d(4).forward(x1), pk.maxPool1d(x1, { kernelSize: 4 }));
    same(new pk.AvgPool1d(4).forward(x1), pk.avgPool1d(x1, { kernelSize: 4 }));
    same(new pk.AdaptiveAvgPool1d(5).forward(x1), pk.adaptiveAvgPool1d(x1, 5));
    const x3 = pk.reshape(x, [2, 3, 1, 6, 6]);
    same(new pk.MaxPool3d([1, 2, 2]).forward(x3), pk.maxPool3d(x3, { kernelSize: [1, 2, 2] }));
    same(new pk.AvgPool3d([1, 3, 3]).forward(x3), pk.avgPool3d(x3, { kernelSize: [1, 3, 3] }));
  });

  test('MaxPool → MaxUnpool round trip through forwardWithIndices', () => {
    const { output, indices } = new pk.MaxPool2d(2).forwardWithIndices(x);
    const up = new pk.MaxUnpool2d(2).forward(output, indices);
    assert.deepEqual(up.shape, x.shape);
    const pooledAgain = pk.maxPool2d(up, { kernelSize: 2 });
    assert.deepEqual([...pooledAgain.data], [...output.data]);
  });

  test('a fractional module with a fixed generator seed is reproducible', () => {
    const a = new pk.FractionalMaxPool2d({ kernelSize: 2, outputRatio: 0.5, generator: new pk.Generator(3) }).forward(x);
    const b = new pk.FractionalMaxPool2d({ kernelSize: 2, outputRatio: 0.5, generator: new pk.Generator(3) }).forward(x);
    assert.deepEqual(a.shape, [2, 3, 3, 3]);
    assert.deepEqual([...a.data], [...b.data]);
  });

  test('modules print like PyTorch', () => {
    assert.equal(String(new pk.MaxPool2d({ kernelSize: 2 })), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
    assert.equal(String(new pk.AvgPool2d({ kernelSize: 3, stride: 2, padding: 1 })), 'AvgPool2d(kernel_size=3, stride=2, padding=1)');
    assert.equal(String(new pk.AdaptiveAvgPool2d([7, 7])), 'AdaptiveAvgPool2d(output_size=[7, 7])');
    assert.equal(String(new pk.LPPool2d(2, { kernelSize: 3, stride: 2 })), 'LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)');
  });

  test('pooling modules have no parameters and switch train/eval', () => {
    const m = new pk.MaxPool2d(2);
    assert.deepEqual(m.parameters(), []);
    assert.equal(m.eval().training, false);
    assert.equal(m.train().training, true);
  });
});
