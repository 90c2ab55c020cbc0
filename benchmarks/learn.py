"""Time one training epoch with the engine's public API against torch on the CPU, in one process.

Run from the repository root:

    .venv/bin/python -m benchmarks.learn

One epoch is 469 steps over MNIST's 60,000 training images, batch 128, on a 784-512-10 network with
plain SGD (lr 0.1), both sides starting from the same weights and taking the same batches in the
same order. The engine runs as a reader of the README would write it:

    fwd = forward(params, x); grads = backward(params, fwd, y); params = sgd_step(params, grads, lr)

torch runs the usual loop: zero_grad, cross_entropy(model(x), y), backward, SGD step. A third case,
"engine before", runs the engine's loop with the two costs it avoids: dx on every step and one more copy
of every array to make it read-only (forcing `grads.dx` and building `Params(...)`), to show what they cost.
torch and NumPy's BLAS use the same number of threads. The machine may be busy, so the cases take
turns in rounds of STEPS_PER_ROUND steps (the order rotating), every side covers the whole epoch,
and the ratio printed is the median of the per-round ratios. At the end both networks must agree
(they took the same steps), or the timing means nothing.
Bar: the engine's epoch takes at most as long as torch's (ratio <= 1.00, PASS/FAIL); the aim is 0.7x.
"""
from __future__ import annotations

import gc
import os
import sys
import time

import numpy as np
import torch

from benchmarks.forward import numpy_blas
from mnistapp.paths import DATA_DIR
from mnistcore import Params, backward, cross_entropy, forward, init_params, load_mnist, sgd_step
from mnistcore.preprocess import scale_uint8

BATCH, LR, SIZES = 128, 0.1, (784, 512, 10)
STEPS_PER_ROUND = 10
BAR, AIM = 1.00, 0.70  # engine epoch time / torch epoch time


def main() -> int:
    blas, blas_threads = numpy_blas()
    threads = blas_threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    print(f"numpy {np.__version__}, BLAS: {blas}; torch {torch.__version__}; {threads} threads for both")

    images, labels = load_mnist("train", DATA_DIR)
    x_all, y_all = scale_uint8(images), labels.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x_all))
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    xs = [x_all[idx] for idx in batches]  # gathered once: both sides get ready-made float32 batches
    ys = [y_all[idx] for idx in batches]
    tx, ty = [torch.from_numpy(x) for x in xs], [torch.from_numpy(y) for y in ys]

    start = init_params(SIZES, np.random.default_rng(0))
    state = {"engine": start, "before": start}
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), start.Ws, start.bs):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores Linear weights as (out, in)
            layer.bias.copy_(torch.from_numpy(b.copy()))
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def engine(i):
        params = state["engine"]
        fwd = forward(params, xs[i])
        state["engine"] = sgd_step(params, backward(params, fwd, ys[i]), LR)

    def before(i):
        params = state["before"]
        fwd = forward(params, xs[i])
        grads = backward(params, fwd, ys[i])
        grads.dx  # noqa: B018  computed on every step, as backward did
        state["before"] = Params(Ws=tuple(W - LR * dW for W, dW in zip(params.Ws, grads.dWs)),
                                 bs=tuple(b - LR * db for b, db in zip(params.bs, grads.dbs)))

    def torch_step(i):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(tx[i]), ty[i]).backward()
        opt.step()

    cases = {"engine": engine, "torch": torch_step, "engine before": before}
    names = list(cases)
    rounds = [range(i, min(i + STEPS_PER_ROUND, len(batches))) for i in range(0, len(batches), STEPS_PER_ROUND)]
    times = {name: np.zeros(len(rounds)) for name in names}
    gc.disable()
    try:
        for r, steps in enumerate(rounds):
            for name in names[r % 3:] + names[:r % 3]:
                t0 = time.perf_counter()
                for i in steps:
                    cases[name](i)
                times[name][r] = time.perf_counter() - t0
    finally:
        gc.enable()

    # Same start, same batches, same rate: the three networks must have taken the same steps.
    x_test, y_test = xs[0], ys[0]
    with torch.no_grad():
        torch_loss = torch.nn.functional.cross_entropy(model(tx[0]), ty[0]).item()
    losses = {name: cross_entropy(forward(state[name], x_test).logits, y_test) for name in ("engine", "before")}
    print(f"check: loss on the first batch after one epoch: engine {losses['engine']:.5f}, "
          f"as before {losses['before']:.5f}, torch {torch_loss:.5f}")
    np.testing.assert_allclose([losses["engine"], losses["before"]], torch_loss, rtol=2e-3, atol=1e-4)

    print(f"\none epoch, {len(batches)} steps of {BATCH} (load average {os.getloadavg()[0]:.1f} at the end; "
          "absolute times move with the load, only the ratios count)")
    for name in names:
        print(f"  {name:14s} {times[name].sum():6.1f} s")
    failed = False
    for name, bar in (("engine", BAR), ("engine before", None)):
        per_round = times[name] / times["torch"]
        q1, med, q3 = np.percentile(per_round, [25, 50, 75])
        total = times[name].sum() / times["torch"].sum()
        verdict = "" if bar is None else (" PASS" if med <= bar else " FAIL")
        aim = "" if bar is None else f", aim {AIM:.2f}x {'met' if med <= AIM else 'not met'}"
        print(f"{name}: epoch time / torch's = {med:.2f}x (median of rounds; whole-epoch totals {total:.2f}x) "
              f"[rounds' quartiles {q1:.2f}-{q3:.2f}]" + (f"  bar {bar:.2f}x{aim}{verdict}" if bar else "  no bar"))
        failed |= bar is not None and med > bar
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
