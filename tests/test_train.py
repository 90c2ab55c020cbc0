"""train.py on a small slice: it learns, a rerun with the same seed is bit-identical, and the shipped
model's card tells the truth about the shipped weights."""
import hashlib
import json

import numpy as np
import pytest
import torch

import train
from conftest import ROOT
from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.preprocess import MNIST_MEAN, MNIST_STD

SHORT = ["--epochs", "3", "--limit", "3000", "--batch", "100", "--no-test"]


def test_a_short_run_lowers_the_loss_and_writes_a_loadable_state_dict(tmp_path):
    out = train.main(SHORT + ["--out", str(tmp_path / "m.pth")])
    losses = [h["train_loss"] for h in out["history"]]
    assert losses[-1] < losses[0] < np.log(10) + 0.5, losses
    assert out["history"][-1]["val_acc"] > 0.85
    params = load_params(tmp_path / "m.pth")
    assert params.sizes == (784, 512, 10)
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["sha256"] == hashlib.sha256((tmp_path / "m.pth").read_bytes()).hexdigest()
    assert card["input_scaling"]["mean"] == MNIST_MEAN and card["input_scaling"]["std"] == MNIST_STD


def test_the_same_seed_gives_the_same_weights_bit_for_bit(tmp_path):
    a, b = tmp_path / "a.pth", tmp_path / "b.pth"
    one_epoch = ["--epochs", "1", "--limit", "2000", "--no-test"]
    train.main(one_epoch + ["--out", str(a)])
    train.main(one_epoch + ["--out", str(b)])
    sa, sb = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_augmentation_keeps_shape_range_and_mostly_the_ink():
    images, _ = load_mnist("test")
    x = torch.from_numpy(images[:64].copy()).float().div(255).unsqueeze(1)
    out = train.augment(x, torch.Generator().manual_seed(0), train.parse_args([]))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    ratio = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert 0.4 < float(ratio.median()) < 2.0 and not torch.equal(out, x)


def test_shipped_model_card_matches_the_shipped_weights():
    card = json.loads((ROOT / "mnist_model.json").read_text())
    assert card["sha256"] == hashlib.sha256((ROOT / "mnist_model.pth").read_bytes()).hexdigest()
    images, labels = load_mnist("test")
    probs = forward(load_params(ROOT / "mnist_model.pth"), scale_input(images / np.float32(255))).probs
    assert float((probs.argmax(1) == labels).mean()) == pytest.approx(card["test_accuracy"], abs=0)
