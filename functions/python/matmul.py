"""matmul: multiplies two random matrices with numpy (FunctionBench's matmul).

Parameters: N (default 128), M (default N), seed (default 0). A is N x M and
B is M x N, both of small integers, so the product is exact and its checksum
is the same on every machine.
"""

import time

import numpy as np

MAX_DIM = 8192


def _int(args, name, default, low, high):
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("'%s' must be an integer in %d..%d" % (name, low, high))
    return value


def main(args):
    n = _int(args, "N", 128, 1, MAX_DIM)
    m = _int(args, "M", n, 1, MAX_DIM)
    seed = _int(args, "seed", 0, 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    a = rng.integers(-8, 8, size=(n, m)).astype(np.float64)
    b = rng.integers(-8, 8, size=(m, n)).astype(np.float64)
    started = time.monotonic()
    c = a @ b
    elapsed = time.monotonic() - started
    return {
        "N": n,
        "M": m,
        "shape": list(c.shape),
        "trace": int(np.trace(c)),
        "checksum": int(c.sum()),
        "compute_ms": round(elapsed * 1000, 3),
    }
