"""The live canvas's interim answer (mnistapp/interim.js) against the engine, without a browser: Node runs the
module on RGBA canvases and on the model's file as live_model offers it, and the digit it reads and the
probabilities it computes must be the engine's."""
import base64
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from mnistapp.live_canvas import model_bytes
from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistcore import Params, forward, load_mnist, load_params, scale_input
from mnistcore.preprocess import EMPTY, MNIST_SCALING, STRAY_DOT, UNIT_SCALING, read_canvas

NODE = shutil.which("node") or "node"  # `make test` installs Debian's nodejs where the machine has none

RUN = """import * as interim from "./interim.mjs";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { model, file, canvases, checks } = JSON.parse(input);
const bytes = Buffer.from(file, "base64");
const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
const m = interim.receiveModel(model, null, buffer);
const out = canvases.map(({ width, height, rgba }) => {
  const data = Uint8ClampedArray.from(Buffer.from(rgba, "base64"));
  const { digit, why } = interim.readCanvas({ data, width, height });
  const answer = interim.interimAnswer(m, { data, width, height });
  return { digit: digit && Array.from(digit), why, probs: answer && Array.from(answer.probs) };
});
const kept = interim.receiveModel({ digest: model.digest, mean: 0.5, std: 2 }, m);
const received = {
  kept: kept !== null && kept.Ws === m.Ws && kept.mean === Math.fround(0.5) && kept.std === 2,
  other: interim.receiveModel({ digest: "other", mean: 0, std: 1 }, m),
  none: interim.receiveModel({ digest: null }, m),
  short: interim.receiveModel({ ...model, sizes: [784, 10] }, null, buffer),
  truncated: interim.receiveModel(model, null, buffer.slice(0, buffer.byteLength - 4)),
};
const rounded = checks.map(interim.roundHalfEven);
console.log(JSON.stringify({ out, received, rounded }));
"""


def run_js(tmp_path, params, scaling, canvases, checks=()):
    (tmp_path / "interim.mjs").write_text((ROOT / "mnistapp" / "interim.js").read_text())
    (tmp_path / "run.mjs").write_text(RUN)
    model = {"digest": params.digest, "mean": scaling.mean, "std": scaling.std, "sizes": list(params.sizes)}
    payload = {"model": model, "file": base64.b64encode(model_bytes(params)).decode(), "checks": list(checks),
               "canvases": [{"height": c.shape[0], "width": c.shape[1], "rgba": base64.b64encode(c.tobytes()).decode()}
                            for c in canvases]}
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, input=json.dumps(payload), capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def digit_canvas(img28, size=280, box=(0, 280, 0, 280)):
    """An MNIST digit stretched into box (top, bottom, left, right) of a black canvas, white ink, opaque."""
    top, bottom, left, right = box
    ink = np.zeros((size, size), np.uint8)
    ink[top:bottom, left:right] = np.asarray(Image.fromarray(img28).resize((right - left, bottom - top), Image.BILINEAR))
    return np.dstack([ink, ink, ink, np.full_like(ink, 255)])


def canvases():
    images, _ = load_mnist("test", DATA_DIR)
    rng = np.random.default_rng(0)
    found = [digit_canvas(images[i]) for i in range(8)]
    found += [digit_canvas(images[8], box=(0, 120, 180, 280)),   # squeezed into a corner: the centring shift clips
              digit_canvas(images[9], box=(60, 95, 20, 76)),     # wide and flat
              digit_canvas(images[10], box=(100, 280, 130, 170))]  # tall and thin
    for top, bottom, left, right in [(60, 95, 20, 76),     # 35 x 56 px: 35 * 20 / 56 = 12.5 rounds to 12, not 13
                                     (150, 172, 30, 70)]:  # 22 x 40 px -> 11 x 20, centred at 13.5 - 5 = 8.5 -> 8
        block = np.zeros((280, 280, 4), np.uint8)
        block[..., 3] = 255
        block[top:bottom, left:right, :3] = 255
        found.append(block)
    noisy = rng.integers(0, 256, (280, 280, 4), dtype=np.uint8)  # colour, and alpha below 255
    noisy[:40], noisy[:, :50] = 0, 0
    found.append(noisy)
    dot = np.zeros((280, 280, 4), np.uint8)
    dot[..., 3] = 255
    dot[100:120, 100:120, :3] = 255  # a 20 px tap
    return found + [dot, np.zeros((280, 280, 4), np.uint8)]


def deep_model():
    rng = np.random.default_rng(1)
    sizes = (784, 64, 32, 10)
    return Params(Ws=[(rng.standard_normal((n, m)) * np.sqrt(2 / n)).astype(np.float32) for n, m in zip(sizes, sizes[1:])],
                     bs=[(rng.standard_normal(m) * 0.1).astype(np.float32) for m in sizes[1:]])


@pytest.mark.parametrize("which", ["shipped", "deep"])
def test_the_interim_answer_reads_the_canvas_and_computes_the_probabilities_as_the_engine_does(tmp_path, which):
    params, scaling = (load_params(SHIPPED_MODEL), MNIST_SCALING) if which == "shipped" else (deep_model(), UNIT_SCALING)
    cans = canvases()
    got = run_js(tmp_path, params, scaling, cans)
    for n, (rgba, js) in enumerate(zip(cans, got["out"])):
        reading = read_canvas(rgba)
        assert js["why"] == reading.why_none, n
        if reading.digit is None:
            assert js["digit"] is None and js["probs"] is None, n
            continue
        np.testing.assert_allclose(np.reshape(js["digit"], (28, 28)), reading.digit, rtol=0, atol=1e-6, err_msg=str(n))
        probs = forward(params, scale_input(reading.digit[None], scaling)).probs[0]
        np.testing.assert_allclose(js["probs"], probs, rtol=0, atol=1e-5, err_msg=str(n))
        assert int(np.argmax(js["probs"])) == int(probs.argmax()), n
    assert [js["why"] for js in got["out"][-2:]] == [STRAY_DOT, EMPTY]


def test_a_model_is_kept_only_for_its_own_digest_and_python_rounds_halves_to_even(tmp_path):
    checks = [0.5, 1.5, 2.5, -0.5, -2.5, -3.5, 12.5, 8.5, 7.5, 2.4999, 2.5001]
    got = run_js(tmp_path, deep_model(), UNIT_SCALING, [], checks)
    assert got["received"] == {"kept": True, "other": None, "none": None, "short": None, "truncated": None}
    assert got["rounded"] == [round(x) for x in checks]
