"""train.py on a small slice: it learns, a rerun with the same seed is bit-identical, and the shipped
model's card tells the truth about the shipped weights; pen_strokes draws digits the way the canvas does."""
import hashlib
import json

import numpy as np
import pytest
import torch
from skimage.measure import label

from mnistapp.paths import DATA_DIR, ROOT
from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.preprocess import MNIST_MEAN, MNIST_STD
from training import pen_strokes, train

pytestmark = pytest.mark.slow  # training runs with torch

SHORT = ["--epochs", "3", "--limit", "3000", "--batch", "100", "--no-test", "--no-drawn-val"]


def test_a_short_run_lowers_the_loss_and_writes_a_loadable_state_dict(tmp_path):
    out = train.main(SHORT + ["--out", str(tmp_path / "m.pth"), "--stroke-cache", str(tmp_path)])
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
    one_epoch = ["--epochs", "1", "--limit", "2000", "--no-test", "--no-drawn-val"]
    train.main(one_epoch + ["--out", str(a), "--stroke-cache", str(tmp_path)])
    train.main(one_epoch + ["--out", str(b), "--stroke-cache", str(tmp_path)])
    sa, sb = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_init_starts_from_the_given_weights_and_the_card_names_them(tmp_path):
    """--init (the stroke recipe's fine-tuning) loads the state dict: with lr 0 nothing moves, so the run writes
    the shipped weights back bit for bit; with a small lr it starts where they are (loss far below chance)."""
    base = ROOT / "mnist_model.pth"
    one = ["--epochs", "1", "--limit", "1000", "--no-test", "--no-drawn-val", "--init", str(base),
           "--stroke-cache", str(tmp_path)]
    train.main(one + ["--lr", "0", "--out", str(tmp_path / "same.pth")])
    same, shipped = torch.load(tmp_path / "same.pth", weights_only=True), torch.load(base, weights_only=True)
    assert all(torch.equal(same[k], shipped[k]) for k in shipped)
    card = json.loads((tmp_path / "same.json").read_text())
    assert card["init"] == {"file": "mnist_model.pth", "sha256": hashlib.sha256(base.read_bytes()).hexdigest()}
    out = train.main(one + ["--lr", "1e-5", "--out", str(tmp_path / "ft.pth")])
    assert out["history"][0]["train_loss"] < 0.5 and out["history"][0]["val_acc"] > 0.98  # from scratch: ~2.3, ~0.85


def test_augmentation_keeps_shape_range_and_mostly_the_ink():
    images, _ = load_mnist("test", DATA_DIR)
    x = torch.from_numpy(images[:64].copy()).float().div(255).unsqueeze(1)
    out = train.augment(x, torch.Generator().manual_seed(0), train.parse_args([]))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    ratio = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert 0.4 < float(ratio.median()) < 2.0 and not torch.equal(out, x)


def test_shipped_model_card_matches_the_shipped_weights():
    card = json.loads((ROOT / "mnist_model.json").read_text())
    assert card["sha256"] == hashlib.sha256((ROOT / "mnist_model.pth").read_bytes()).hexdigest()
    images, labels = load_mnist("test", DATA_DIR)
    probs = forward(load_params(ROOT / "mnist_model.pth"), scale_input(images / np.float32(255))).probs
    assert float((probs.argmax(1) == labels).mean()) == pytest.approx(card["test_accuracy"], abs=0)


# --- pen strokes --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test", DATA_DIR)
    return images[:40], labels[:40]


def test_drawn_digits_are_mnist_shaped_with_the_ink_centred_and_inside_the_field(digits):
    images, _ = digits
    drawn = pen_strokes.stroke_versions(images, 2, (10, 30), seed=0)
    assert drawn.shape == (40, 2, 28, 28) and drawn.dtype == np.uint8
    rows, cols = np.mgrid[:28, :28]
    for img in drawn.reshape(-1, 28, 28):
        ink = img.astype(np.float64)
        assert ink.max() >= 250  # a pen stroke is solid ink (255 but for the resize's rounding)
        on = np.argwhere(img > 0.1 * 255)
        extent = on.max(axis=0) - on.min(axis=0) + 1
        assert extent.max() in (19, 20, 21) and on.min() >= 0 and on.max() <= 27  # fitted into 20 px
        cy, cx = (ink * rows).sum() / ink.sum(), (ink * cols).sum() / ink.sum()
        assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1, (cy, cx)  # the app's centre of mass


def test_a_wider_pen_draws_more_ink_for_every_digit(digits):
    images, _ = digits
    thin = pen_strokes.stroke_versions(images, 1, (10, 10), seed=0)[:, 0].astype(np.float64)
    thick = pen_strokes.stroke_versions(images, 1, (28, 28), seed=0)[:, 0].astype(np.float64)
    assert (thick.sum((1, 2)) > 1.3 * thin.sum((1, 2))).all()


def test_widths_are_drawn_from_the_range_asked_for(digits):
    images, _ = digits
    ink = lambda widths: pen_strokes.stroke_versions(images[:5], 40, widths, seed=1).astype(np.float64).sum((2, 3))
    lo, hi, both = ink((10, 10)), ink((28, 28)), ink((10, 28))
    assert (both.min(1) < (lo.mean(1) + hi.mean(1)) / 2).all() and (both.max(1) > (lo.mean(1) + hi.mean(1)) / 2).all()
    assert (both >= 0.97 * lo.min(1, keepdims=True)).all() and (both <= 1.03 * hi.max(1, keepdims=True)).all()


def test_drawings_are_the_same_for_a_seed_and_differ_between_seeds(digits):
    images, _ = digits
    a, b = (pen_strokes.stroke_versions(images, 2, (10, 30), seed=3) for _ in range(2))
    c = pen_strokes.stroke_versions(images, 2, (10, 30), seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_skeleton_polylines_of_a_connected_digit_draw_one_connected_shape(digits):
    images, _ = digits
    for img in images:
        if label(img >= pen_strokes.THRESHOLD, connectivity=2).max() != 1:
            continue  # a digit broken in the scan stays broken
        lines = pen_strokes.skeleton_polylines(img)
        canvas = pen_strokes.draw_canvas(lines, width=6)  # a thin pen leaves no gap at a junction unseen
        assert label(canvas > 0.5, connectivity=2).max() == 1


def test_pen_strokes_read_like_the_digit_to_a_model_trained_on_scans():
    # the shipped model reads these drawings of held-out training digits (not the test set) well
    images, labels = load_mnist("train", DATA_DIR)
    images, labels = images[-200:], labels[-200:]
    drawn = pen_strokes.stroke_versions(images, 1, (18, 18), seed=0)[:, 0]
    probs = forward(load_params(ROOT / "mnist_model.pth"), scale_input(drawn / np.float32(255))).probs
    assert float((probs.argmax(1) == labels).mean()) > 0.9


def test_a_short_run_with_pen_strokes_is_bit_identical_and_reuses_its_drawings(tmp_path):
    run = ["--epochs", "1", "--limit", "1000", "--no-test", "--no-drawn-val", "--stroke-p", "0.5",
           "--stroke-cache", str(tmp_path / "cache")]
    train.main(run + ["--out", str(tmp_path / "a.pth")])
    (cached,) = (tmp_path / "cache").glob("strokes-1000x*.npy")
    train.main(run + ["--out", str(tmp_path / "b.pth")])
    assert list((tmp_path / "cache").iterdir()) == [cached]
    sa, sb = torch.load(tmp_path / "a.pth", weights_only=True), torch.load(tmp_path / "b.pth", weights_only=True)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    card = json.loads((tmp_path / "a.json").read_text())
    assert card["recipe"]["stroke_p"] == 0.5


# --- the scan teacher (knowledge distillation) ---------------------------------------------------------


def scrambled_training_labels(labels: np.ndarray) -> np.ndarray:
    """The labels with the training part shuffled (the validation labels kept, so validation still measures)."""
    scrambled = labels.copy()
    scrambled[:-train.N_VAL] = np.random.default_rng(0).permutation(scrambled[:-train.N_VAL])
    return scrambled


def test_taught_loss_is_cross_entropy_where_untaught_and_hintons_softened_kl_where_taught():
    """Against NumPy: (1 - a) CE + a T^2 sum p_t (log p_t - log p_s), both softmaxes at temperature T."""
    g = torch.Generator().manual_seed(0)
    teacher = torch.nn.Linear(6, 10)
    xb, logits = torch.randn(8, 6, generator=g), torch.randn(8, 10, generator=g) * 3
    y = torch.randint(10, (8,), generator=g)
    taught = torch.tensor([True, False] * 4)
    alpha, T = 0.3, 2.5

    def log_softmax(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    s, t = logits.numpy().astype(np.float64), teacher(xb).detach().numpy().astype(np.float64)
    ce = -log_softmax(s)[np.arange(8), y.numpy()]
    lt, ls = log_softmax(t / T), log_softmax(s / T)
    kl = (np.exp(lt) * (lt - ls)).sum(1) * T * T
    want = np.where(taught.numpy(), (1 - alpha) * ce + alpha * kl, ce).mean()
    got = train.taught_loss(logits, y, [teacher], xb, taught, alpha, T)
    assert float(got) == pytest.approx(want, rel=1e-5)
    none = train.taught_loss(logits, y, [teacher], xb, torch.zeros(8, dtype=torch.bool), alpha, T)
    assert float(none) == pytest.approx(ce.mean(), rel=1e-5)
    # two teachers answer as one: the mean of their softened probabilities
    other = torch.nn.Linear(6, 10)
    pt = (np.exp(lt) + np.exp(log_softmax(other(xb).detach().numpy().astype(np.float64) / T))) / 2
    kl2 = (pt * (np.log(pt) - ls)).sum(1) * T * T
    want2 = np.where(taught.numpy(), (1 - alpha) * ce + alpha * kl2, ce).mean()
    assert float(train.taught_loss(logits, y, [teacher, other], xb, taught, alpha, T)) == pytest.approx(want2, rel=1e-5)


def test_the_teachers_term_pulls_the_logits_towards_the_teachers_answers_at_the_temperature():
    """d/dz of T^2 KL(softmax(t/T) || softmax(z/T)) is T (softmax(z/T) - softmax(t/T)): no gradient from the
    teacher's side (it is not trained), and zero when the student already answers as the teacher does."""
    teacher = torch.nn.Linear(4, 10)
    xb = torch.randn(5, 4, generator=torch.Generator().manual_seed(1))
    z = torch.randn(5, 10, generator=torch.Generator().manual_seed(2), requires_grad=True)
    T, everything = 3.0, torch.ones(5, dtype=torch.bool)
    train.taught_loss(z, torch.zeros(5, dtype=torch.long), [teacher], xb, everything, 1.0, T).backward()
    want = T * (torch.softmax(z.detach() / T, 1) - torch.softmax(teacher(xb).detach() / T, 1)) / 5
    assert torch.allclose(z.grad, want, atol=1e-6) and teacher.weight.grad is None
    same = teacher(xb).detach().requires_grad_(True)
    train.taught_loss(same, torch.zeros(5, dtype=torch.long), [teacher], xb, everything, 1.0, T).backward()
    assert same.grad.abs().max() < 1e-6


def test_a_taught_run_is_bit_identical_names_its_teacher_and_learns_from_it(tmp_path, monkeypatch):
    """--teacher: two runs give the same weights and the card names the teacher by sha256. With the teacher's
    answers alone (alpha 1, no drawings) the training labels go unread: scrambling them changes no weight,
    and the student still reads the validation digits, so it learned them from the teacher."""
    base = ROOT / "mnist_model.pth"  # the shipped model was trained on scans alone
    run = ["--epochs", "2", "--limit", "2000", "--no-test", "--no-drawn-val", "--teacher", str(base),
           "--stroke-cache", str(tmp_path / "cache")]
    weights = lambda name: torch.load(tmp_path / name, weights_only=True)

    def same(a, b):
        wa, wb = weights(a), weights(b)
        return all(torch.equal(wa[k], wb[k]) for k in wa)
    train.main(run + ["--stroke-p", "0.2", "--out", str(tmp_path / "a.pth")])
    train.main(run + ["--stroke-p", "0.2", "--out", str(tmp_path / "b.pth")])
    assert same("a.pth", "b.pth")
    card = json.loads((tmp_path / "a.json").read_text())
    assert card["teachers"] == [{"file": base.name, "sha256": hashlib.sha256(base.read_bytes()).hexdigest()}]
    assert "teacher" in card["optimizer"]
    narrow = train.main(run + ["--epochs", "1", "--hidden", "64", "--out", str(tmp_path / "n.pth")])  # a 512-unit teacher
    assert narrow["card"]["layers"]["fc1"] == [784, 64] and narrow["history"][0]["val_acc"] > 0.5

    alone = run + ["--kd-alpha", "1"]
    learned = train.main(alone + ["--out", str(tmp_path / "t.pth")])
    train.main(run + ["--out", str(tmp_path / "c.pth")])
    images, labels = load_mnist("train", DATA_DIR)
    scrambled = scrambled_training_labels(labels)
    monkeypatch.setattr(train, "load_mnist", lambda split, data_dir: (images, scrambled))
    train.main(alone + ["--out", str(tmp_path / "t2.pth")])
    assert same("t.pth", "t2.pth")
    assert learned["history"][-1]["val_acc"] > 0.75  # chance is 0.1; these 2 epochs on the labels give ~0.85
    train.main(run + ["--out", str(tmp_path / "c2.pth")])  # alpha 0.5: there the scrambled labels do count
    assert not torch.equal(weights("c.pth")["fc1.weight"], weights("c2.pth")["fc1.weight"])


def test_with_kd_drawings_the_teachers_teach_the_drawings_too(tmp_path, monkeypatch):
    """--kd-drawings at alpha 1: the teachers' answers are the whole loss on scans and drawings alike, so
    scrambled training labels change no weight. Without it the drawings still learn from their labels."""
    run = ["--epochs", "1", "--limit", "1000", "--no-test", "--no-drawn-val", "--stroke-p", "0.5",
           "--teacher", str(ROOT / "mnist_model.pth"), "--kd-alpha", "1", "--stroke-cache", str(tmp_path / "cache")]
    images, labels = load_mnist("train", DATA_DIR)
    fc1 = {}
    for name, y in (("true", labels), ("scrambled", scrambled_training_labels(labels))):
        monkeypatch.setattr(train, "load_mnist", lambda split, data_dir, y=y: (images, y))
        for flag in ((), ("--kd-drawings",)):
            out = tmp_path / f"{name}{len(flag)}.pth"
            card = train.main(run + list(flag) + ["--out", str(out)])["card"]
            fc1[name, bool(flag)] = torch.load(out, weights_only=True)["fc1.weight"]
    assert "on scans and drawings" in card["optimizer"] and card["recipe"]["kd_drawings"]
    assert torch.equal(fc1["true", True], fc1["scrambled", True])
    assert not torch.equal(fc1["true", False], fc1["scrambled", False])


def test_train_teacher_reruns_bit_for_bit_and_train_py_learns_from_its_conv_teacher(tmp_path, monkeypatch):
    """train_teacher.py: the same seed gives the same ConvTeacher, which learns to read digits, and its card
    names its weights. train.py takes it as a teacher: at alpha 1 with --kd-drawings the student learns from its
    answers alone (scrambled training labels change no weight) and names it in its card."""
    from training import train_teacher
    cache = ["--stroke-cache", str(tmp_path / "cache")]
    run = ["--epochs", "2", "--limit", "2000", "--no-drawn-val"] + cache
    card = train_teacher.main(run + ["--out", str(tmp_path / "t.pth")])
    train_teacher.main(run + ["--out", str(tmp_path / "t2.pth")])
    ta, tb = (torch.load(tmp_path / n, weights_only=True) for n in ("t.pth", "t2.pth"))
    assert all(torch.equal(ta[k], tb[k]) for k in ta)
    assert card["sha256"] == hashlib.sha256((tmp_path / "t.pth").read_bytes()).hexdigest()
    assert card["val_accuracy"] > 0.85  # chance is 0.1
    teacher = train.load_teacher(tmp_path / "t.pth")
    assert isinstance(teacher, train.ConvTeacher) and not teacher.training  # eval: no dropout while it teaches

    student = ["--epochs", "1", "--limit", "1000", "--no-test", "--no-drawn-val", "--stroke-p", "0.5",
               "--teacher", str(tmp_path / "t.pth"), "--kd-drawings", "--kd-alpha", "1"] + cache
    images, labels = load_mnist("train", DATA_DIR)
    fc1 = {}
    for name, y in (("true", labels), ("scrambled", scrambled_training_labels(labels))):
        monkeypatch.setattr(train, "load_mnist", lambda split, data_dir, y=y: (images, y))
        card = train.main(student + ["--out", str(tmp_path / f"{name}.pth")])["card"]
        fc1[name] = torch.load(tmp_path / f"{name}.pth", weights_only=True)["fc1.weight"]
    assert torch.equal(fc1["true"], fc1["scrambled"])
    assert card["teachers"] == [{"file": "t.pth", "sha256": hashlib.sha256((tmp_path / "t.pth").read_bytes()).hexdigest()}]
