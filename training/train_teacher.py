"""Train the convolutional teacher that `train.py --teacher` can learn from.

    python -m training.train_teacher --out teacher_cnn.pth       # 30 epochs, about 10 min on 2 cores
    python -m training.train --stroke-p 0.5 --stroke-versions 10 --teacher teacher_cnn.pth --kd-drawings --epochs 150 --out m.pth

A 784-H-10 network taught only by the labels reads digits drawn on the canvas at about 0.98 at best; a small
convolutional network trained the same way (half of each batch the same pen-stroke drawings, the same
augmentation: `train.py`'s stroke recipe) reads more of them. Taught by its answers, a 784-512-10 student
can learn part of what it sees. The teacher is never shipped and the app never runs it.

The last 5,000 training images are held out, as in `train.py`; the test set is not read. With the same
seed and threads a rerun gives the same weights bit for bit.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mnistapp.paths import ROOT
from mnistcore.preprocess import MNIST_MEAN, MNIST_STD
from training import train


def accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        x = (torch.from_numpy(images.copy()).float().div(255).view(len(images), -1) - MNIST_MEAN) / MNIST_STD
        said = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)]).argmax(1).numpy()
    model.train()
    return float((said == labels).mean())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch threads (fixed, so a rerun is bit-identical)")
    p.add_argument("--limit", type=int, default=0, help="train on only this many images (for tests)")
    p.add_argument("--no-drawn-val", action="store_true", help="skip the drawn validation digits (for tests)")
    p.add_argument("--stroke-cache", type=Path, default=ROOT / "artifacts" / "strokes")
    p.add_argument("--out", type=Path, default=Path("teacher_cnn.pth"))
    t = p.parse_args(argv)
    # the stroke recipe of train.py: its data, its drawings (ten of each digit) and its augmentation
    a = train.parse_args(["--stroke-p", "0.5", "--stroke-versions", "10", "--stroke-cache", str(t.stroke_cache),
                          "--seed", str(t.seed), "--limit", str(t.limit)] + ["--no-drawn-val"] * t.no_drawn_val)
    torch.set_num_threads(t.threads)
    torch.manual_seed(t.seed)
    g = torch.Generator().manual_seed(t.seed)
    X, Y, S, va_x, va_y, va_drawn, _ = train.training_data(a)

    model = train.ConvTeacher()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=t.epochs, pct_start=0.05,
                                                steps_per_epoch=math.ceil(len(X) / a.batch))
    t0 = time.time()
    for epoch in range(t.epochs):
        for idx, xb, _ in train.batches(X, S, g, a):
            loss = F.cross_entropy(model(xb), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        row = {"val_acc": accuracy(model, va_x, va_y)} | {
            f"val_drawn_{w}": accuracy(model, imgs, va_y) for w, imgs in va_drawn.items()}
        print(f"epoch {epoch + 1:3d}  {time.time() - t0:5.0f} s  " + "  ".join(f"{k} {v:.4f}" for k, v in row.items()),
              flush=True)
    torch.save(model.state_dict(), t.out)
    card = {"architecture": "teacher only: conv 5x5 32, max-pool 2, conv 5x5 64, max-pool 2, 512 ReLU (dropout 0.3), 10",
            "recipe": {"epochs": t.epochs, "seed": t.seed, "threads": t.threads, "limit": t.limit,
                       "drawings": "train.py --stroke-p 0.5 --stroke-versions 10, its augmentation",
                       "optimizer": f"Adam, one-cycle cosine schedule (5 % warm-up), lr {a.lr:g}, batch {a.batch}"},
            "val_accuracy": row["val_acc"],
            "val_drawn_accuracy": {f"width {w}": row[f"val_drawn_{w}"] for w in va_drawn},
            "seconds": round(time.time() - t0, 1), "torch": torch.__version__,
            "sha256": train.file_ref(t.out)["sha256"]}
    t.out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {t.out} and {t.out.with_suffix('.json').name}")
    return card


if __name__ == "__main__":
    main()
