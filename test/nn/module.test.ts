import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as pk from '../../src/index.js';

describe('Module', () => {
  test("LeNet-5's state dict has the PyTorch LeNet5 keys and shapes, in order", () => {
    const sd = pk.lenet5().stateDict();
    assert.deepEqual(Object.entries(sd).map(([k, t]) => [k, [...t.shape]]), [
      ['conv1.weight', [6, 1, 5, 5]], ['conv1.bias', [6]], ['conv2.weight', [16, 6, 5, 5]], ['conv2.bias', [16]],
      ['fc1.weight', [120, 400]], ['fc1.bias', [120]], ['fc2.weight', [84, 120]], ['fc2.bias', [84]],
      ['fc3.weight', [10, 84]], ['fc3.bias', [10]],
    ]);
  });

  test('the same seed gives the same weights; loadStateDict copies them into another model', () => {
    const a = pk.lenet5({ generator: new pk.Generator(5) });
    const b = pk.lenet5({ generator: new pk.Generator(5) });
    const c = pk.lenet5({ generator: new pk.Generator(6) });
    assert.deepEqual([...a.fc1.weight.data], [...b.fc1.weight.data]);
    assert.notDeepEqual([...a.fc1.weight.data], [...c.fc1.weight.data]);
    c.loadStateDict(a.stateDict());
    assert.deepEqual([...c.conv2.weight.data], [...a.conv2.weight.data]);
  });

  test('default init is U(±1/√fan_in) for weights and biases, as PyTorch', () => {
    const fc = new pk.Linear(400, 120, { generator: new pk.Generator(1) });
    const bound = 1 / Math.sqrt(400);
    const w = [...fc.weight.data];
    assert.ok(w.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...w) > 0.95 * bound && Math.min(...w) < -0.95 * bound);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    assert.ok(Math.abs(mean) < 0.05 * bound);
    assert.ok(Math.abs(variance - bound ** 2 / 3) < 0.05 * bound ** 2 / 3, `variance ${variance}`);
    assert.ok([...fc.bias!.data].every((v) => Math.abs(v) <= bound));
  });

  test('loadStateDict names missing, unexpected and mis-shaped keys like PyTorch', () => {
    const m = pk.lenet5();
    const sd = m.stateDict();
    const { ['fc3.bias']: _dropped, ...missing } = sd;
    assert.throws(() => m.loadStateDict(missing), /Missing key\(s\) in state_dict: "fc3.bias"/);
    assert.throws(() => m.loadStateDict({ ...sd, extra: pk.zeros([1]) }), /Unexpected key\(s\) in state_dict: "extra"/);
    assert.throws(() => m.loadStateDict({ ...sd, 'fc1.weight': pk.zeros([120, 256]) }),
      /size mismatch for fc1.weight: copying a param with shape \[120, 256\] from checkpoint, the shape in current model is \[120, 400\]/);
  });

  test('the model prints like PyTorch', () => {
    assert.equal(String(pk.lenet5()), [
      'LeNet5(',
      '  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))',
      '  (pool1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
      '  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))',
      '  (pool2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
      '  (fc1): Linear(in_features=400, out_features=120, bias=True)',
      '  (fc2): Linear(in_features=120, out_features=84, bias=True)',
      '  (fc3): Linear(in_features=84, out_features=10, bias=True)',
      ')',
    ].join('\n'));
  });

  test('train() and eval() reach the children; Sequential names them 0, 1, …', () => {
    const seq = new pk.Sequential(new pk.Linear(4, 3), new pk.ReLU(), new pk.Dropout(0.5), new pk.Linear(3, 2));
    assert.deepEqual(seq.namedParameters().map(([k]) => k), ['0.weight', '0.bias', '3.weight', '3.bias']);
    seq.eval();
    assert.equal(seq.layers[2]!.training, false);
    const x = pk.ones([5, 4]);
    assert.deepEqual([...seq.forward(x).data], [...seq.forward(x).data], 'dropout is off in eval mode');
  });

  test('every LeNet pooling kind gives 10 logits for a 28×28 batch', () => {
    for (const pool of pk.LENET_POOLS) {
      const y = pk.lenet5({ pool }).forward(pk.ones([2, 1, 28, 28]));
      assert.deepEqual(y.shape, [2, 10], pool);
      assert.ok([...y.data].every(Number.isFinite), pool);
    }
    assert.throws(() => pk.lenet5({ pool: 'median' as pk.LeNetPool }), /pool must be one of max, avg, lp2, lp3, but got "median"/);
  });
});

describe('optimizers', () => {
  test('SGD with momentum: the first step uses the gradient, later steps the buffer', () => {
    const p = pk.tensor([1, 2], [2], { requiresGrad: true });
    const opt = new pk.SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = pk.tensor([1, 1]);
    opt.step();
    assert.deepEqual([...p.data], [Math.fround(0.9), Math.fround(1.9)]);
    opt.step(); // buffer 0.9·1 + 1 = 1.9
    assert.deepEqual([...p.data], [Math.fround(Math.fround(0.9) - Math.fround(0.19)), Math.fround(Math.fround(1.9) - Math.fround(0.19))]);
  });

  test('optimizer state round-trips through stateDict', () => {
    const mk = () => pk.tensor([1, -2, 3], [3], { requiresGrad: true });
    const a = mk(), b = mk();
    const oa = new pk.Adam([a], { lr: 0.01 }), ob = new pk.Adam([b], { lr: 0.01 });
    for (let i = 0; i < 3; i++) {
      a.grad = pk.tensor([0.5, -1, 2]);
      oa.step();
    }
    b.data.set(a.data);
    ob.loadStateDict(oa.stateDict());
    a.grad = pk.tensor([1, 1, 1]);
    b.grad = pk.tensor([1, 1, 1]);
    oa.step();
    ob.step();
    assert.deepEqual([...b.data], [...a.data]);
  });

  test('bad hyperparameters are refused', () => {
    const p = pk.tensor([1], [1], { requiresGrad: true });
    assert.throws(() => new pk.SGD([p], { lr: -1 }), /Invalid lr value: -1/);
    assert.throws(() => new pk.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
    assert.throws(() => new pk.SGD([], { lr: 0.1 }), /empty parameter list/);
  });
});
