#!/usr/bin/env python3
"""PyTorch peer of sweeplab's train.bench (setups a, b, c, d32, d64), CPU, one thread.

Usage: python3 scripts/peers/torch_mlp.py [--only a,c] [--quick] [--json out.json] [--flush-denormal]   (prints JSON)
       python3 scripts/peers/torch_mlp.py --serve REQUEST_FIFO REPLY_FIFO [--only a] [--flush-denormal]
--serve: paired epochs for sweeplab's bench. Sets up the first setup of --only, then trains one epoch per line read
from REQUEST_FIFO and writes its seconds as a line to REPLY_FIFO, until REQUEST_FIFO ends (opened in that order).
--flush-denormal: torch.set_flush_denormal(True). Not PyTorch's default; with it, PyTorch avoids the slow subnormal
arithmetic its momentum buffers otherwise reach after a few epochs, as sweeplab's kernels do (they store optimizer
state below the smallest normal float as 0): the like-for-like comparison.
Idiomatic PyTorch: nn.Linear layers, torch.optim (SGD with momentum, Adam, plain SGD), loss.backward(),
batches gathered by indexing a tensor that holds the whole training set. torch.set_num_threads(1).
Environment (OpenBLAS threads and core, pinning) and timing: see peer_common.py.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import peer_common as pc  # noqa: E402  first: sets the OpenBLAS environment before torch loads
import torch
from torch import nn

torch.set_num_threads(1)
if '--flush-denormal' in sys.argv and not torch.set_flush_denormal(True):
    sys.exit('torch_mlp.py: --flush-denormal: this CPU does not support flushing denormals (torch.set_flush_denormal)')
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass


def make_model(s, dtype):
    layers = []
    sizes = s['layers']
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(n_in, n_out)
        with torch.no_grad():
            if s['init'] == 'he':
                nn.init.kaiming_normal_(lin.weight, nonlinearity='relu')  # N(0, sqrt(2/nIn))
                lin.bias.zero_()
            elif s['init'] == 'normal01':
                lin.weight.normal_(0, 1)
                lin.bias.normal_(0, 1)
            else:
                lin.weight.uniform_(0, 0.01)
                lin.bias.uniform_(0, 0.01)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU() if s['act'] == 'relu' else nn.Sigmoid())
    return nn.Sequential(*layers).to(dtype)


def make_trainer(s):
    """(one_epoch, test_accuracy) for setup s: the model, data and optimizer set up once."""
    dtype = torch.float32 if s['dtype'] == 'float32' else torch.float64
    x, y, xt, yt = pc.data_for(s)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    Xt, Yt = torch.from_numpy(xt), torch.from_numpy(yt)
    torch.manual_seed(1)
    model = make_model(s, dtype)
    K = s['layers'][-1]
    N = len(X)
    if s['opt'] == 'momentum':
        opt = torch.optim.SGD(model.parameters(), lr=s['lr'], momentum=0.9)
    elif s['opt'] == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=s['lr'])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=s['lr'])
    onehot = torch.eye(K, dtype=dtype)
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    g = torch.Generator().manual_seed(1)

    def loss_of(out, yb):
        if s['out'] == 'softmax-ce':
            return nn.functional.cross_entropy(out, yb)  # mean over the batch
        if s['out'] == 'sigmoid-mse':
            return 0.5 * ((torch.sigmoid(out) - onehot[yb]) ** 2).sum() / len(yb)
        # the question's cost: BCE summed over outputs, mean over examples, + λ/(2N) Σ W² (weights only)
        bce = nn.functional.binary_cross_entropy_with_logits(out, onehot[yb], reduction='sum') / len(yb)
        return bce + s['l2'] / (2 * N) * sum((w * w).sum() for w in weights)

    def epoch():
        if s['batch'] == 'full':
            opt.zero_grad()
            loss_of(model(X), Y).backward()
            opt.step()
            return
        B = s['batch']
        perm = torch.randperm(N, generator=g)
        for i in range(0, N, B):
            idx = perm[i:i + B]
            opt.zero_grad()
            loss_of(model(X[idx]), Y[idx]).backward()
            opt.step()

    def accuracy():
        with torch.no_grad():
            return float((model(Xt).argmax(dim=1) == Yt).double().mean())

    return epoch, accuracy


def run_setup(sid, s, epochs):
    epoch, accuracy = make_trainer(s)
    secs = [pc.timed(epoch) for _ in range(epochs)]
    return secs, accuracy()


def serve(request_path, reply_path, sid):
    epoch, _ = make_trainer(pc.SETUPS[sid])
    with open(request_path) as req, open(reply_path, 'w') as reply:
        for _ in req:
            reply.write(f'{pc.timed(epoch)}\n')
            reply.flush()


if __name__ == '__main__':
    args = pc.parse_args('pytorch')
    if args.serve:
        serve(*args.serve, args.only.split(',')[0])
    else:
        pc.run_all('pytorch', torch.__version__, run_setup)
