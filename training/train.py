"""Train the 784-512-10 network with torch and write mnist_model.pth and its model card.

    python -m training.train                                            # the recipe of the shipped mnist_model.pth
    python -m training.train --stroke-p 0.5 --epochs 130 --out m.pth   # half of each batch as pen strokes
    python -m training.train --stroke-p 0.5 --stroke-versions 10 --teacher mnist_model.pth --epochs 150 --out m.pth
                                                               # and the scan model teaching the scans
    python -m training.train --epochs 3 --out /tmp/m.pth

The last 5,000 training images are held out for validation (every choice of the recipe was made on
them); the test set is only read at the end, through the NumPy engine, for the model card.
Digits drawn on the app's canvas are uniform-width pen strokes; MNIST's are scanned, blurred strokes
of varying width. So a share of each batch (`--stroke-p`) is the same digit redrawn as canvas pen
strokes by `pen_strokes.py` (skeleton -> polylines -> round pen of a random width on a 280 px canvas ->
the app's own preprocessing). Those drawings are made once, `--stroke-versions` per digit, and kept
in `--stroke-cache`, keyed by everything that shapes them. Augmentation then runs batched in torch
on scans and drawings alike: a random affine map and a Simard et al. (2003) elastic distortion in
one `grid_sample`, then stroke-thickness changes (grey-level dilation or erosion).
With `--teacher`, a model trained on scans alone teaches the scans of each batch (its answers softened
at `--kd-T`, a share `--kd-alpha` of their loss); the drawings learn from their labels alone. With
`--kd-drawings` the teachers teach the drawings too: for teachers that read drawings, such as earlier
taught runs, whose mean answer a single student can then learn, or `train_teacher.py`'s convolutional one.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: one thread, like torch's (2 shared cores)

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistcore import Params, load_mnist
from mnistcore.evaluate import evaluate
from mnistcore.preprocess import MNIST_MEAN, MNIST_STD
from training import pen_strokes

N_VAL = 5000  # the last 5,000 training images: canvas_replay's `--split train --start 55000`
VAL_WIDTHS = (12, 18, 26)  # pen widths of the Draw page's slider that the validation drawings use


class MLP(nn.Module):
    def __init__(self, hidden: int = 512):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class ConvTeacher(nn.Module):
    """A small convolutional network (two 5x5 convolutions, 32 and 64 maps, each pooled, then 512 units), trained
    by `train_teacher.py` only to teach: it reads held-out drawings better than any 784-H-10 run (0.985 against at
    most 0.981 with an 18 px pen). The app never runs it; it runs 784-H-10 networks."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 5, padding=2)
        self.c2 = nn.Conv2d(32, 64, 5, padding=2)
        self.f1 = nn.Linear(64 * 7 * 7, 512)
        self.f2 = nn.Linear(512, 10)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):  # (B, 784), scaled as the engine scales its input
        x = x.view(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(self.drop(F.relu(self.f1(x.flatten(1)))))


def load_teacher(path: Path) -> nn.Module:
    """A teacher from its state dict: a ConvTeacher or a 784-H-10 network of any width H."""
    state = torch.load(path, weights_only=True)
    model = ConvTeacher() if "c1.weight" in state else MLP(state["fc1.weight"].shape[0])
    model.load_state_dict(state)
    return model.eval()


def gaussian_blur(field: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W), zero padded."""
    r = int(3 * sigma)
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(field)
    c = field.shape[1]
    field = F.conv2d(field, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), padding=(0, r), groups=c)
    return F.conv2d(field, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), padding=(r, 0), groups=c)


def augment(x: torch.Tensor, g: torch.Generator, a) -> torch.Tensor:
    """(B, 1, 28, 28) images in [0, 1] -> randomly distorted images of the same shape."""
    B = x.shape[0]
    u = lambda *shape: torch.rand(*shape, generator=g) * 2 - 1  # uniform in [-1, 1]
    angle = u(B) * math.radians(a.rotate)
    scale = 1 + u(B, 2) * a.scale                   # independent x and y scale
    shear = u(B) * a.shear
    shift = u(B, 2) * a.shift * 2 / 28               # pixels -> grid units
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos * scale[:, 0], -sin * scale[:, 1] + shear, shift[:, 0]], 1),
                         torch.stack([sin * scale[:, 0], cos * scale[:, 1], shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, (B, 1, 28, 28), align_corners=False)
    # Simard et al.: a uniform random displacement field, smoothed by a Gaussian, scaled by alpha.
    disp = gaussian_blur(u(B, 2, 28, 28), a.elastic_sigma) * a.elastic_alpha * 2 / 28
    use = (torch.rand(B, generator=g) < a.elastic_p).float().view(B, 1, 1, 1)
    grid = grid + use * disp.permute(0, 2, 3, 1)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Stroke thickness: blend towards a 3x3 grey dilation (thicker) or erosion (thinner).
    dil = F.max_pool2d(x, 3, 1, 1)
    ero = -F.max_pool2d(-x, 3, 1, 1)
    r, t = torch.rand(B, generator=g).view(B, 1, 1, 1), torch.rand(B, generator=g).view(B, 1, 1, 1)
    x = torch.where(r < a.thick_p, x + t * (dil - x), x)
    x = torch.where(r > 1 - a.thin_p, x + 0.7 * t * (ero - x), x)  # full erosion breaks thin strokes
    return x


def taught_loss(logits, y, teachers, xb, taught, alpha: float, T: float) -> torch.Tensor:
    """Cross-entropy, and on the `taught` items (the scans; with --kd-drawings every item) the teachers' answers
    as well (Hinton et al. 2015).

    On a taught item the loss is (1 - alpha) cross-entropy + alpha T^2 KL(teachers || student), both
    softened at temperature T (T^2 keeps the gradient's size as T changes); elsewhere cross-entropy alone.
    Several teachers answer as one: the mean of their softened probabilities.
    """
    with torch.no_grad():
        each = torch.stack([F.log_softmax(t(xb) / T, 1) for t in teachers])
        t = each[0] if len(teachers) == 1 else torch.logsumexp(each, 0) - math.log(len(teachers))
    kl = F.kl_div(F.log_softmax(logits / T, 1), t, log_target=True, reduction="none").sum(1) * T * T
    w = alpha * taught.float()
    return ((1 - w) * F.cross_entropy(logits, y, reduction="none") + w * kl).mean()


def file_ref(path: Path) -> dict:
    """A model file as the card names it: its name and the sha256 of its bytes."""
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def to_params(model: MLP) -> Params:
    sd = model.state_dict()  # torch stores Linear weights as (out, in); the engine keeps (in, out)
    return Params(Ws=(sd["fc1.weight"].T.numpy(), sd["fc2.weight"].T.numpy()),
                  bs=(sd["fc1.bias"].numpy(), sd["fc2.bias"].numpy()))


def drawn(images: np.ndarray, n_versions: int, widths: tuple[float, float], seed: int, a,
          cache: Path | None) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n, n_versions, 28, 28) uint8 pen-stroke drawings, read from the cache if made before."""
    # the drawing and the page's reading of it
    code = (ROOT / "training" / "pen_strokes.py").read_bytes() + (ROOT / "mnistcore" / "preprocess.py").read_bytes()
    key = hashlib.sha256(images.tobytes() + code + json.dumps(
        [n_versions, list(widths), seed, a.stroke_jitter, a.stroke_tol]).encode()).hexdigest()[:16]
    path = cache / f"strokes-{len(images)}x{n_versions}-{key}.npy" if cache else None
    if path and path.is_file():
        return np.load(path)
    bar = lambda it: tqdm(it, desc=f"drawing {len(images)}x{n_versions} digits", unit="digit", mininterval=5)
    out = pen_strokes.stroke_versions(images, n_versions, widths, seed, jitter=a.stroke_jitter, tol=a.stroke_tol,
                                  progress=bar)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out)
    return out


def training_data(a):
    """The training scans X (n, 1, 28, 28) in [0, 1] and labels Y as tensors, their pen-stroke drawings S
    (n, versions, 28, 28) uint8 (None without --stroke-p), the validation scans and labels, the validation digits
    drawn at each of VAL_WIDTHS (another seed than the training drawings), and the seconds the drawings took."""
    images, labels = load_mnist("train", DATA_DIR)
    tr_x, tr_y = images[:-N_VAL], labels[:-N_VAL]
    va_x, va_y = images[-N_VAL:], labels[-N_VAL:]
    if a.limit:
        tr_x, tr_y = tr_x[:a.limit], tr_y[:a.limit]
    X = torch.from_numpy(tr_x.copy()).float().div_(255).unsqueeze(1)
    Y = torch.from_numpy(tr_y.astype(np.int64))
    t_draw = time.time()
    S = None if a.stroke_p == 0 else torch.from_numpy(
        drawn(tr_x, a.stroke_versions, a.stroke_widths, a.seed, a, a.stroke_cache))
    va_drawn = {} if a.no_drawn_val else {
        w: drawn(va_x, 1, (w, w), a.seed + 1, a, a.stroke_cache)[:, 0] for w in VAL_WIDTHS}
    return X, Y, S, va_x, va_y, va_drawn, time.time() - t_draw


def batches(X: torch.Tensor, S: torch.Tensor | None, g: torch.Generator, a):
    """One epoch in random order: (indices, scaled (B, 784) inputs, which items are drawings or None). A share
    --stroke-p of the scans is swapped for one of their drawings, then all are augmented."""
    order = torch.randperm(len(X), generator=g)
    for i in range(0, len(X), a.batch):
        idx = order[i:i + a.batch]
        xb, use = X[idx], None
        if S is not None:
            use = torch.rand(len(idx), generator=g) < a.stroke_p
            version = torch.randint(a.stroke_versions, (len(idx),), generator=g)
            xb = torch.where(use.view(-1, 1, 1, 1), S[idx, version].unsqueeze(1).float() / 255, xb)
        xb = augment(xb, g, a)
        yield idx, (xb.view(len(idx), -1) - MNIST_MEAN) / MNIST_STD, use  # the engine's scale_input, in torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=350)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (fixed, so a rerun is bit-identical)")
    p.add_argument("--rotate", type=float, default=12.0, help="max rotation, degrees")
    p.add_argument("--scale", type=float, default=0.12, help="max relative change of x and y scale")
    p.add_argument("--shear", type=float, default=0.2)
    p.add_argument("--shift", type=float, default=2.0, help="max shift, pixels")
    p.add_argument("--elastic-alpha", type=float, default=34.0)
    p.add_argument("--elastic-sigma", type=float, default=4.0)
    p.add_argument("--elastic-p", type=float, default=0.5)
    p.add_argument("--thick-p", type=float, default=0.25)
    p.add_argument("--thin-p", type=float, default=0.25)
    p.add_argument("--stroke-p", type=float, default=0.0,
                   help="share of each batch drawn as pen strokes (0.5 for the stroke recipe; 0 is the shipped one)")
    p.add_argument("--stroke-versions", type=int, default=3, help="pen-stroke drawings made of each digit")
    p.add_argument("--stroke-widths", type=float, nargs=2, default=(10.0, 30.0), help="pen widths, px of a 280 px canvas")
    p.add_argument("--stroke-jitter", type=float, default=0.3, help="std of a traced point's shift, MNIST px")
    p.add_argument("--stroke-tol", type=float, default=1.0, help="RDP tolerance of the traced lines, MNIST px")
    p.add_argument("--stroke-cache", type=Path, default=ROOT / "artifacts" / "strokes",
                   help="where the drawings are kept between runs")
    p.add_argument("--init", type=Path, default=None,
                   help="start from this state dict instead of random weights (fine-tuning: the stroke recipe "
                        "starts from the shipped scan model)")
    p.add_argument("--teacher", type=Path, nargs="+", default=None,
                   help="models (784-H-10 or train_teacher.py's state dicts) that teach the scans of each batch "
                        "(with --kd-drawings the drawings too), as one: the mean of their answers")
    p.add_argument("--kd-alpha", type=float, default=0.5,
                   help="the teachers' share of the loss on a scan (with --kd-drawings on a drawing too)")
    p.add_argument("--kd-T", type=float, default=2.0, help="temperature that softens the teacher's and the student's answers")
    p.add_argument("--kd-drawings", action="store_true",
                   help="the teachers teach the drawings too (teachers that were themselves trained on drawings)")
    p.add_argument("--val-every", type=int, default=10, help="measure the drawn validation digits every N epochs")
    p.add_argument("--no-drawn-val", action="store_true", help="skip the drawn validation digits (for tests)")
    p.add_argument("--limit", type=int, default=0, help="train on only this many images (for tests)")
    p.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    p.add_argument("--no-test", action="store_true", help="skip the test-set figure (for tests)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    X, Y, S, va_x, va_y, va_drawn, draw_seconds = training_data(a)

    model = MLP(a.hidden)
    if a.init:
        model.load_state_dict(torch.load(a.init, weights_only=True))
    teachers = [load_teacher(path) for path in a.teacher or ()]
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps_per_epoch = math.ceil(len(X) / a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=a.epochs, pct_start=0.02,
                                                steps_per_epoch=steps_per_epoch, anneal_strategy="cos")
    t0 = time.time()
    history = []
    bar = tqdm(range(a.epochs), desc="epochs", unit="ep")
    for epoch in bar:
        model.train()
        total = 0.0
        for idx, xb, use in batches(X, S, g, a):
            if not teachers:
                loss = F.cross_entropy(model(xb), Y[idx])
            else:
                taught = ~use if use is not None and not a.kd_drawings else torch.ones(len(idx), dtype=torch.bool)
                loss = taught_loss(model(xb), Y[idx], teachers, xb, taught, a.kd_alpha, a.kd_T)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        params = to_params(model)
        ev = evaluate(params, va_x, va_y)
        row = {"epoch": epoch + 1, "train_loss": total / len(X), "val_acc": ev.accuracy, "val_loss": ev.mean_loss}
        if (epoch + 1) % a.val_every == 0 or epoch + 1 == a.epochs:  # three more passes: ~5 % every 10th epoch
            for w, imgs in va_drawn.items():
                row[f"val_drawn_{w}"] = evaluate(params, imgs, va_y).accuracy
        history.append(row)
        bar.set_postfix(train_loss=f"{row['train_loss']:.4f}", val_acc=f"{row['val_acc']:.4f}")
        tqdm.write(f"epoch {epoch + 1:3d}  " + "  ".join(
            f"{k.replace('_', ' ')} {v:.4f}" for k, v in row.items() if k != "epoch"))
    seconds = time.time() - t0

    a.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), a.out)
    card = {
        "architecture": f"784-{a.hidden}-10 fully connected, ReLU, softmax",
        "layers": {"fc1": [784, a.hidden], "fc2": [a.hidden, 10]},
        "input_scaling": {"formula": "x = (pixel / 255 - mean) / std, ink = 255", "mean": MNIST_MEAN, "std": MNIST_STD},
        "recipe": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(a).items()
                   if k not in ("out", "no_test", "no_drawn_val", "stroke_cache", "init", "teacher", "val_every")},
        "init": None if a.init is None else file_ref(a.init),
        "teachers": [file_ref(t) for t in a.teacher or ()],
        "optimizer": "Adam, one-cycle cosine schedule (2 % warm-up), cross-entropy"
                     + ("" if not a.teacher else f"; on {'scans and drawings' if a.kd_drawings else 'scans'} "
                                                     f"{1 - a.kd_alpha:g} of it and {a.kd_alpha:g} the teachers' "
                                                     f"answers at T = {a.kd_T:g}"),
        "train_images": len(X), "validation": "last 5,000 training images",
        "epochs": a.epochs, "seconds": round(seconds, 1), "drawing_seconds": round(draw_seconds, 1),
        "val_accuracy": history[-1]["val_acc"], "val_loss": history[-1]["val_loss"],
        "val_drawn_accuracy": {f"width {w}": history[-1][f"val_drawn_{w}"] for w in va_drawn},
        "torch": torch.__version__,
        "sha256": file_ref(a.out)["sha256"],
    }
    if not a.no_test:
        te_x, te_y = load_mnist("test", DATA_DIR)
        ev = evaluate(to_params(model), te_x, te_y)
        card["test_accuracy"], card["test_loss"] = ev.accuracy, ev.mean_loss
        print(f"test accuracy {card['test_accuracy']:.4f}  test loss {card['test_loss']:.4f}")
    a.out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {a.out} and {a.out.with_suffix('.json').name} in {seconds:.0f} s")
    return {"card": card, "history": history}


if __name__ == "__main__":
    main()
