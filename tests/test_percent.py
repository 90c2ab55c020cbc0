"""One way to write a probability on every page (mnistapp/figures/style.py's percent, and its twin in
mnistapp/interim.js for the answer shown while the pen moves), and the "not sure" flag in the pill's place."""
import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pytest

from mnistapp import why
from mnistapp.figures.alt_text import bars_text
from mnistapp.figures.bars import softmax_bars_html
from mnistapp.figures.draw import paired_bars, softmax_bars
from mnistapp.figures.learn import accuracy_curves
from mnistapp.figures.style import DIGITS, percent, plural, sure
from mnistapp.figures.testset import confidence_histograms, describe, mistake_bars, reliability_diagram
from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.trainer import model_name
from mnistcore import Settings, forward, load_mnist, load_params, scale_input
from mnistcore.evaluate import evaluate, reliability
from mnistcore.explain.doubt import calibrate, doubt_scores, not_sure
from reference import random_params
from training.nondigits import nondigit_drawings

NODE = shutil.which("node") or "node"  # `make test` installs Debian's nodejs where the machine has none
CASES = {0.997: "99.7%", 0.5: "50.0%", 0.0: "0.0%", 1.0: "100.0%", 0.9996: ">99.9%", 0.0004: "<0.1%",
         0.9994: "99.9%", 0.00051: "0.1%", 0.123456: "12.3%"}


@pytest.fixture(scope="module")
def shipped():
    return load_params(SHIPPED_MODEL)


@pytest.mark.parametrize("p", list(CASES))
def test_percent_has_one_decimal_and_never_rounds_to_0_or_100(p):
    assert percent(p) == CASES[p]
    assert percent(np.float32(p)) == CASES[p]  # the engine's probabilities are float32


def test_the_browsers_percent_is_the_servers(tmp_path):
    (tmp_path / "interim.mjs").write_text((ROOT / "mnistapp" / "interim.js").read_text())
    (tmp_path / "run.mjs").write_text('import { percent } from "./interim.mjs";\n'
                                      f"console.log(JSON.stringify({json.dumps(list(CASES))}.map(percent)));\n")
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == list(CASES.values())


def test_the_browsers_percent_writes_german_as_the_server_does(tmp_path):
    (tmp_path / "interim.mjs").write_text((ROOT / "mnistapp" / "interim.js").read_text())
    marks = {"decimal": ",", "space": "\u00a0"}
    (tmp_path / "run.mjs").write_text('import { percent } from "./interim.mjs";\n'
                                      f"console.log(JSON.stringify({json.dumps(list(CASES))}.map("
                                      f"(p) => percent(p, {json.dumps(marks)}))));\n")
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [percent(p, "de") for p in CASES]


def test_the_gallery_the_dialog_the_bars_and_their_text_write_a_probability_alike(shipped):
    images, labels = load_mnist("test", DATA_DIR)
    ev = evaluate(shipped, images[:2000], labels[:2000])
    # an image the network is 99.5-99.95 % sure of: "100%" when rounded to whole percents, "99.x%" here
    i = int(np.flatnonzero((ev.confidence >= 0.995) & (ev.confidence < 0.9995))[0])
    probs = ev.probs[i]
    winner = int(probs.argmax())
    text = percent(probs[winner])
    assert text.startswith("99.") and text != "100.0%"
    assert describe(ev, i).endswith(f"· {text}")                         # the gallery's caption
    assert sure(probs[winner]) == f"{text} sure"                          # the Prediction's pill, in the dialog too
    assert f"<span>{text}</span>" in softmax_bars_html(probs, winner=winner)  # the Draw page's bars
    assert softmax_bars(probs, np.zeros(10), winner=winner).data[0].text[winner] == text  # Plotly's bars
    assert f"{winner} ({text})" in bars_text(probs)                       # their text alternative


def test_every_digit_of_the_plotly_bars_is_labelled():
    fig = softmax_bars(np.full(10, 0.1), np.zeros(10))
    assert list(fig.layout.xaxis.tickvals) == DIGITS and list(fig.layout.xaxis.ticktext) == DIGITS


@pytest.mark.parametrize(("n", "text"), [(1, "1 epoch"), (1.0, "1 epoch"), (2, "2 epochs"), (0.5, "0.5 epochs"),
                                         (2.333, "2.3 epochs"), (1200, "1,200 epochs")])
def test_plural_says_one_epoch_and_many_epochs(n, text):
    assert plural(n, "{n} epoch", "{n} epochs") == text


@pytest.mark.parametrize(("n", "text"), [(1, "1 Epoche"), (2, "2 Epochen"), (2.333, "2,3 Epochen"),
                                         (1200, "1.200 Epochen")])
def test_plural_in_german_takes_the_catalogues_forms_and_german_numbers(n, text):
    assert plural(n, "{n} epoch", "{n} epochs", "de") == text


GERMAN = {0.997: "99,7\u00a0%", 0.5: "50,0\u00a0%", 1.0: "100,0\u00a0%", 0.9996: ">99,9\u00a0%", 0.0004: "<0,1\u00a0%"}


@pytest.mark.parametrize("p", list(GERMAN))
def test_percent_in_german_has_a_decimal_comma_a_space_and_the_same_bounds(p):
    assert percent(p, "de") == GERMAN[p]
    assert percent(np.float32(p), "de") == GERMAN[p]


def test_sure_is_a_whole_sentence_in_each_language():
    assert sure(0.997) == "99.7% sure"
    assert sure(0.997, "de") == "99,7\u00a0% sicher"


def test_a_model_trained_for_one_epoch_is_named_1_epoch():
    assert model_name(Settings(epochs=1), 1.0).endswith(", 1 epoch")
    assert model_name(Settings(epochs=3), 3.0).endswith(", 3 epochs")


class Where:
    """Stands in for a Streamlit column: records what the page puts there."""
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_not_sure_takes_the_place_of_the_confidence_pill(monkeypatch):
    params = random_params((784, 16, 10), rng=4)
    drawings, _ = nondigit_drawings(20, seed=5)
    images, _ = load_mnist("test", DATA_DIR)
    x = scale_input(np.concatenate([drawings, images[:20] / np.float32(255)]))
    # limits from a sample of the references, with the threshold at the median score: half these inputs are
    # "not sure" (the flag's quality is tests/test_doubt.py's; here, what the page shows for it)
    train, train_labels = load_mnist("train", DATA_DIR)
    doubt = calibrate(params, train[:2000], train_labels[:2000], train[-500:])
    doubt = dataclasses.replace(doubt, threshold=float(np.median(doubt_scores(doubt, params, forward(params, x)))))
    monkeypatch.setattr(why, "model_doubt", lambda p: doubt if p is params else None)
    flags = []
    for row in range(len(x)):
        fwd = forward(params, x[row:row + 1])
        flag = not_sure(doubt, params, fwd)
        flags.append(flag)
        where = Where()
        assert why.prediction_metric(params, fwd, where) is flag
        metric = next(c for c in where.calls if c[0] == "metric")
        assert metric[1][:2] == ("Prediction", str(int(fwd.probs[0].argmax())))
        # "not sure" and the two likeliest digits, or how sure: never "93.3% sure" beside "not sure"
        assert metric[1][2] == (None if flag else sure(fwd.probs[0].max()))
        assert any(name == "markdown" and "not sure" in args[0] for name, args, _ in where.calls) is flag
    assert any(flags) and not all(flags)


def _share_axes(lang):
    """Every figure axis that shows shares as percentages, built for `lang` from random numbers."""
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(10))
    confidence, correct = rng.uniform(0.3, 1, 500), rng.uniform(size=500) < 0.9
    figures = [softmax_bars(probs, np.log(probs), lang=lang), paired_bars(probs, probs[::-1], names=("a", "b"), lang=lang),
               mistake_bars(1 - rng.uniform(0, 0.03, 10), np.full(10, 1000), lang=lang),
               reliability_diagram(reliability(confidence, correct), lang=lang),
               confidence_histograms(confidence, correct, lang=lang),
               accuracy_curves([(s, a) for s, a in zip(range(0, 500, 50), np.linspace(0.62, 0.97, 10))], [], lang=lang)]
    return [axis for fig in figures for axis in (fig.layout.xaxis, fig.layout.yaxis)
            if axis.tickformat or axis.ticktext and str(axis.ticktext[0]).endswith("%")]


def test_percentage_ticks_read_99_4_percent_with_a_space_in_german_and_plotlys_format_in_english():
    english, german = _share_axes("en"), _share_axes("de")
    assert len(english) == len(german) >= 8
    for en, de in zip(english, german):
        assert en.tickformat.endswith("%") and en.ticktext is None
        assert de.tickformat is None and 2 <= len(de.tickvals) <= 7
        assert all(t.endswith("\u00a0%") and "." not in t for t in de.ticktext), de.ticktext
        # each label names its value: "2,5 %" at 0.025
        assert [float(t[:-2].replace(",", ".")) / 100 for t in de.ticktext] == pytest.approx(list(de.tickvals))
