"""Time the NumPy forward pass against torch on the CPU, with the same weights, in one process.

Run from the repository root:

    .venv/bin/python -m benchmarks.forward

It times `mnistcore.forward(params, x)` (which returns every z, every activation, the logits and the
probabilities) against torch's nn.Sequential(Linear(784, 512), ReLU, Linear(512, 10)) + softmax, with
the weights of the shipped model (random ones of the same shape if it is missing; values do not change
the timing), on
  (a) one image at a time, x of shape (1, 784);
  (b) the 10,000-image MNIST test set in one batch, x of shape (10000, 784).
Two NumPy references run beside them: the bare expression `np.maximum(x @ W1 + b1, 0) @ W2 + b2` plus a
softmax (what the engine would cost with no overhead of its own), and, for the batch, the two bare
float32 matmuls `x @ W1` and `a1 @ W2` (the floor any forward pass pays).

torch is timed as a caller holding a NumPy image would run it, the same job as `forward`: per call,
enter inference_mode, wrap the array with torch.from_numpy, return the probabilities. torch's best
case (tensor made and inference_mode entered once, outside the calls; ~4 us less) is printed too.
torch and NumPy's BLAS use the same number of threads. The machine may be busy, so only ratios count:
the cases take turns (A, B, C, A, B, C, ...) in many short rounds, and every ratio is the median
of the ratios within a round, so a change in load hits every side alike. Bars, each printed as PASS or FAIL (exit status 1 on a FAIL):
  one image: the engine at least 1.5x faster than torch;
  batch:     the engine no slower than torch, allowing 5 % noise;
  batch:     the engine at least 80 % of the bare matmuls' throughput.
"""
from __future__ import annotations

import ctypes
import gc
import os
import sys
import time

import numpy as np
import torch

import mnistcore
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import Params, forward, load_mnist
from mnistcore.preprocess import scale_uint8

MODEL = SHIPPED_MODEL
ONE_IMAGE_BAR = 1.5     # engine at least this many times faster than torch
BATCH_TORCH_BAR = 0.95  # engine's speed over torch's: "no slower", within 5 % noise
MATMUL_BAR = 0.80       # engine's throughput over the bare matmuls'


def load_weights() -> tuple[Params, str]:
    """The shipped model's Params and where they came from; random weights of its shape without it."""
    if MODEL.exists() and hasattr(mnistcore, "load_params"):
        return mnistcore.load_params(MODEL), f"{MODEL.name} via mnistcore.load_params"
    if MODEL.exists():
        state = torch.load(MODEL, weights_only=True)
        # torch stores Linear weights as (out, in); we keep (in, out)
        Ws = [v.numpy().T for k, v in state.items() if k.endswith("weight")]
        bs = [v.numpy() for k, v in state.items() if k.endswith("bias")]
        return Params(Ws=tuple(Ws), bs=tuple(bs)), f"{MODEL.name} via torch.load"
    rng = np.random.default_rng(0)
    return (Params(Ws=(rng.normal(0, 0.05, (784, 512)), rng.normal(0, 0.05, (512, 10))),
                   bs=(np.zeros(512), np.zeros(10))), "random weights (no mnist_model.pth)")


def torch_model(params: Params) -> torch.nn.Sequential:
    W1, W2 = params.Ws
    b1, b2 = params.bs
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(W1.T))  # torch stores Linear weights as (out, in)
        model[0].bias.copy_(torch.tensor(b1))
        model[2].weight.copy_(torch.tensor(W2.T))
        model[2].bias.copy_(torch.tensor(b2))
    return model.eval()


def numpy_blas() -> tuple[str, int | None]:
    """(description, thread count) of the BLAS NumPy calls; the count is None if we cannot ask it."""
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    description = f"{config['name']} {config.get('version', '')}".strip()
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool["user_api"] == "blas" and "numpy" in pool["filepath"]:
                return f"{description}, {pool['internal_api']} core {pool.get('architecture')}", pool["num_threads"]
    except ImportError:
        pass
    # Without threadpoolctl: ask the OpenBLAS that this process has loaded, by its exported functions.
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        paths = set()
    for path in paths:
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            get_threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            get_core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            if get_threads is not None and get_core is not None:
                get_core.restype = ctypes.c_char_p
                return f"{description}, OpenBLAS core {get_core().decode()}", int(get_threads())
    return description, None


def time_in_turn(cases: dict, rounds: int, calls: int) -> dict[str, np.ndarray]:
    """Seconds taken by each call, shaped (rounds, calls) per case: in every round each case makes
    `calls` calls in a row, the cases taking turns in an order that rotates from round to round.

    A block of calls in a row keeps the case's own weights in the CPU cache, as a program that does
    only that would: the first one-image call after the other library's has to fetch W1 (1.6 MB)
    again and takes ~25 us longer, for NumPy and torch alike. The median drops those first calls and
    the calls the scheduler interrupted, where timing many calls at once would smear both over all.
    """
    names = list(cases)
    for f in cases.values():  # first calls allocate and page in memory
        f()
    times = {name: np.empty((rounds, calls)) for name in names}
    gc.disable()  # as timeit does: a collection would land on whichever case happened to trigger it
    try:
        for i in range(rounds):
            for name in names[i % len(names):] + names[:i % len(names)]:
                f = cases[name]
                for j in range(calls):
                    start = time.perf_counter()
                    f()
                    times[name][i, j] = time.perf_counter() - start
    finally:
        gc.enable()
    return times


def speedup(times: dict[str, np.ndarray], slow: str, fast: str) -> tuple[float, float, float]:
    """How many times faster `fast` runs than `slow`: the median over rounds of the ratio of their
    median call times within a round (a round takes < 1 s, so both saw the same load), and the
    quartiles of those per-round ratios, to show how much the machine's load moved it."""
    per_round = np.median(times[slow], axis=1) / np.median(times[fast], axis=1)
    q1, median, q3 = np.percentile(per_round, [25, 50, 75])
    return float(median), float(q1), float(q3)


def main() -> int:
    params, source = load_weights()
    if params.sizes != (784, 512, 10):
        raise SystemExit(f"{source} is a {params.sizes} network; this benchmark compares 784-512-10.")
    W1, W2 = params.Ws
    b1, b2 = params.bs
    model = torch_model(params)

    blas, blas_threads = numpy_blas()
    threads = blas_threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    print(f"weights: {source}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    print(f"numpy {np.__version__}, BLAS: {blas}; torch {torch.__version__} (MKL: {torch.backends.mkl.is_available()})")
    print(f"threads: {threads} for both (BLAS reports {blas_threads}, torch.get_num_threads() = {torch.get_num_threads()})")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if name in os.environ:
            print(f"  {name}={os.environ[name]}")

    images, labels = load_mnist("test", DATA_DIR)
    x_all = scale_uint8(images)        # (10000, 784) float32
    x_one = x_all[:1].copy()           # (1, 784)
    a1_all = np.maximum(x_all @ W1 + b1, 0)

    def bare(x):
        z2 = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def torch_probs(x):
        """What a caller holding a NumPy image writes: the probabilities, with autograd off."""
        with torch.inference_mode():
            return torch.softmax(model(torch.from_numpy(x)), dim=1)

    def torch_best(tx):
        """torch's best case: the caller made the tensor once and entered inference_mode once."""
        return torch.softmax(model(tx), dim=1)

    # The engine must compute what torch computes, or the timing means nothing.
    ref = torch_probs(x_all).numpy()
    fwd = forward(params, x_all)
    np.testing.assert_allclose(fwd.probs, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bare(x_all), ref, rtol=1e-4, atol=1e-5)
    assert all(a.dtype == np.float32 for a in fwd.zs + fwd.activations + (fwd.probs,)), "float32 throughout"
    print(f"check: engine and torch agree on the test set, all float32 (accuracy {np.mean(fwd.probs.argmax(1) == labels):.2%})")

    t_one = torch.from_numpy(x_one)
    with torch.inference_mode():  # for torch_best; entering it again inside torch_probs costs the same
        one = time_in_turn({"engine": lambda: forward(params, x_one), "bare": lambda: bare(x_one),
                            "torch": lambda: torch_probs(x_one), "torch best": lambda: torch_best(t_one)},
                           rounds=100, calls=50)
    batch = time_in_turn({"engine": lambda: forward(params, x_all), "bare": lambda: bare(x_all),
                          "torch": lambda: torch_probs(x_all), "matmuls": lambda: (x_all @ W1, a1_all @ W2)},
                         rounds=40, calls=1)

    print(f"\nmedian time per call (load average {os.getloadavg()[0]:.1f} at the end; absolute numbers move with"
          " the machine's load, only the ratios count)")
    for label, times, unit, scale in (("one image", one, "us", 1e6), ("batch", batch, "ms", 1e3)):
        print(f"  {label:9s} " + ", ".join(f"{name} {np.median(t) * scale:.1f} {unit}" for name, t in times.items()))

    print()
    failed = []

    def report(label: str, ratio: tuple[float, float, float], text: str, bar: float | None, bar_text: str):
        value, q1, q3 = ratio
        verdict = "" if bar is None else (" PASS" if value >= bar else " FAIL")
        print(f"{label}: {text} ({bar_text}){verdict}   [rounds' quartiles {q1:.2f}-{q3:.2f}]")
        if bar is not None and value < bar:
            failed.append(f"{label}: {text} ({bar_text})")

    r = speedup(one, "torch", "engine")
    report("one image", r, f"engine {r[0]:.2f}x faster than torch", ONE_IMAGE_BAR, f"bar {ONE_IMAGE_BAR}x")
    r = speedup(one, "torch best", "engine")
    report("one image", r, f"engine {r[0]:.2f}x faster than torch's best case", None,
           "tensor made and inference_mode entered once, outside the calls; no bar")
    r = speedup(one, "bare", "engine")
    report("one image", r, f"engine runs at {r[0]:.2f}x the speed of the bare NumPy expression", None,
           "1.00x = no overhead of its own; no bar")
    r = speedup(batch, "torch", "engine")
    report("batch", r, f"engine {r[0]:.2f}x torch's speed", BATCH_TORCH_BAR,
           f"bar {BATCH_TORCH_BAR}x: no slower, 5 % noise")
    r = speedup(batch, "matmuls", "engine")
    report("batch", r, f"engine at {r[0]:.0%} of the bare matmuls' throughput", MATMUL_BAR, f"bar {MATMUL_BAR:.0%}")
    r = speedup(batch, "bare", "engine")
    report("batch", r, f"engine runs at {r[0]:.2f}x the speed of the bare NumPy expression", None,
           "1.00x = no overhead of its own; no bar")

    if failed:
        print("\nFAILED: " + "; ".join(failed))
        return 1
    print("\nall bars met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
