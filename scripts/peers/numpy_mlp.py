#!/usr/bin/env python3
"""A hand-written numpy MLP: the numpy peer of sweeplab's train.bench (setups a, b, c, d32, d64).

Usage: python3 scripts/peers/numpy_mlp.py [--only a,c] [--quick] [--json out.json]   (prints JSON)
Written the way a careful numpy user would: float32 (or float64) arrays, W as (nIn, nOut) like sweeplab, one
matmul per layer and direction, in-place optimizer updates, batches gathered with fancy indexing.
Environment (threads, OPENBLAS_CORETYPE, pinning) and timing: see peer_common.py.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import peer_common as pc  # noqa: E402  first: sets the OpenBLAS environment before numpy loads
import numpy as np


def init_params(s, rng, dtype):
    params = []
    for n_in, n_out in zip(s['layers'][:-1], s['layers'][1:]):
        if s['init'] == 'he':
            W = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
            b = np.zeros(n_out)
        elif s['init'] == 'normal01':
            W = rng.standard_normal((n_in, n_out))
            b = rng.standard_normal(n_out)
        else:  # uniform001: U(0, 0.01) for every entry, biases included (the question's init)
            W = rng.uniform(0, 0.01, (n_in, n_out))
            b = rng.uniform(0, 0.01, n_out)
        params += [W.astype(dtype), b.astype(dtype)]
    return params


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(s, params, x):
    """Activations [x, a1, ..., h] (h = outputs) for a batch."""
    acts = [x]
    L = len(params) // 2
    for l in range(L):
        z = acts[-1] @ params[2 * l] + params[2 * l + 1]
        if l < L - 1:
            a = np.maximum(z, 0) if s['act'] == 'relu' else sigmoid(z)
        elif s['out'] == 'softmax-ce':
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = sigmoid(z)
        acts.append(a)
    return acts


def gradients(s, params, acts, y_onehot, scale):
    """dJ/dparams of scale · Σ_rows loss (scale = 1/rows), same layout as params."""
    L = len(params) // 2
    h = acts[-1]
    if s['out'] == 'sigmoid-mse':
        dz = (h - y_onehot) * h * (1 - h) * scale
    else:  # softmax-CE and sigmoid-BCE: dz = h - y
        dz = (h - y_onehot) * scale
    grads = [None] * len(params)
    for l in range(L - 1, -1, -1):
        grads[2 * l] = acts[l].T @ dz
        grads[2 * l + 1] = dz.sum(axis=0)
        if l > 0:
            da = dz @ params[2 * l].T
            a = acts[l]
            dz = da * (a > 0) if s['act'] == 'relu' else da * a * (1 - a)
    return grads


def run_setup(sid, s, epochs):
    dtype = np.dtype(s['dtype'])
    x, y, xt, yt = pc.data_for(s)
    rng = np.random.default_rng(1)
    params = init_params(s, rng, dtype)
    K = s['layers'][-1]
    eye = np.eye(K, dtype=dtype)
    N = len(x)
    secs = []
    if s['opt'] == 'momentum':
        vel = [np.zeros_like(p) for p in params]
    if s['opt'] == 'adam':
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        t = 0
    lr = dtype.type(s['lr'])

    def epoch():
        nonlocal t
        if s['batch'] == 'full':
            acts = forward(s, params, x)
            g = gradients(s, params, acts, eye[y], 1.0 / N)
            lam = s.get('l2', 0.0) / N
            for l in range(0, len(params), 2):
                g[l] += dtype.type(lam) * params[l]  # L2 on weights only
            for p, gp in zip(params, g):
                p -= lr * gp
            return
        B = s['batch']
        perm = rng.permutation(N)
        for i in range(0, N, B):
            idx = perm[i:i + B]
            xb = x[idx]
            acts = forward(s, params, xb)
            g = gradients(s, params, acts, eye[y[idx]], dtype.type(1.0 / len(idx)))
            if s['opt'] == 'sgd':
                for p, gp in zip(params, g):
                    p -= lr * gp
            elif s['opt'] == 'momentum':
                for p, gp, vp in zip(params, g, vel):
                    vp *= dtype.type(0.9)
                    vp += gp
                    p -= lr * vp
            else:
                t += 1
                b1, b2, eps = 0.9, 0.999, 1e-8
                c1, c2 = 1 - b1 ** t, 1 - b2 ** t
                for p, gp, mp, vp in zip(params, g, m, v):
                    mp *= dtype.type(b1)
                    mp += dtype.type(1 - b1) * gp
                    vp *= dtype.type(b2)
                    vp += dtype.type(1 - b2) * gp * gp
                    p -= dtype.type(s['lr'] / c1) * mp / (np.sqrt(vp / dtype.type(c2)) + dtype.type(eps))

    t = 0
    for _ in range(epochs):
        secs.append(pc.timed(epoch))
    acc = float((forward(s, params, xt)[-1].argmax(axis=1) == yt).mean())
    return secs, acc


if __name__ == '__main__':
    pc.run_all('numpy', np.__version__, run_setup)
