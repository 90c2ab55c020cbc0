"""Make the README's picture, docs/draw-page.png: the Draw page in Chromium with an MNIST test digit drawn on it.

    .venv/bin/python -m harness.screenshot [--index 1] [--out docs/draw-page.png]

It starts `streamlit run app.py` on a free port of 127.0.0.1, opens the Draw page at 1280x900 in light mode,
closes "Start here" as a returning visitor has, traces test image `--index` (by default a 2) with real mouse
strokes, as the browser tests do, and waits for the rerun
that reads the finished drawing; it draws again until the model's "not sure" calibration is done, so the
picture shows the page as a visitor usually sees it. It keeps the top of the page down to the Prediction's
row: the sidebar, the canvas, the softmax bars and the hidden layer. The PNG is reduced to 256 colours,
small and unchanged to the eye for a flat UI.
Exit status 1 when the Prediction shown is not the digit's label.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

from mnistapp.paths import DATA_DIR, ROOT
from mnistcore import load_mnist

from .canvas import draw, open_draw_page, reset, settle
from .server import CHROMIUM, CHROMIUM_ARGS, free_port, metric_value, start_streamlit, stop
from .strokes import digit_strokes

WIDTH, HEIGHT = 1280, 900
TOP = 60      # Streamlit's empty header band above the title
MARGIN = 12   # below the row of the Prediction and the 28x28 the network sees
CALIBRATING = 'Learning what "not sure" means'  # the Draw page's note until the calibration is done
MAX_DRAWINGS = 60  # a drawing and a second apart: the calibration takes a few seconds once
PREDICTION_BOTTOM = """() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]'))  // and its row
  if (m.innerText.startsWith('Prediction')) return (m.closest('[data-testid="stHorizontalBlock"]') || m)
    .getBoundingClientRect().bottom; return null; }"""


def shoot(digit, out: Path) -> str:
    """Draw a (28, 28) uint8 digit on a fresh app, write the cropped picture to `out`; the Prediction shown."""
    from playwright.sync_api import sync_playwright  # a dev requirement, as for the browser tests
    port = free_port()
    proc = start_streamlit(port)
    try:
        url = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="light").new_page()
            _, box = open_draw_page(page, url)
            page.locator(".st-key-draw-start_here-close button").click(timeout=60000)  # a returning visitor's page
            page.get_by_role("button", name="Start here", exact=True).wait_for(timeout=60000)
            for _ in range(MAX_DRAWINGS):  # the first drawing starts the model's "not sure" calibration
                draw(page, box, digit_strokes(digit, 280))
                settle(page)
                if CALIBRATING not in page.inner_text("body"):
                    break
                page.wait_for_timeout(1000)
                reset(page)
            page.mouse.move(WIDTH - 5, HEIGHT - 5)  # no hover label over the bars
            page.wait_for_timeout(500)
            shown = metric_value(page, "Prediction")
            bottom = min(HEIGHT, page.evaluate(PREDICTION_BOTTOM) + MARGIN)  # the expanders below belong to docs/
            png = page.screenshot(clip={"x": 0, "y": TOP, "width": WIDTH, "height": bottom - TOP})
            browser.close()
    finally:
        stop(proc)
    picture = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(out, optimize=True)
    return shown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=int, default=1, help="which of MNIST's 10,000 test images to draw")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "draw-page.png")
    args = ap.parse_args(argv)
    images, labels = load_mnist("test", DATA_DIR)
    shown = shoot(images[args.index], args.out)
    print(f"{args.out}: test image {args.index} (a {labels[args.index]}), Prediction {shown}, "
          f"{args.out.stat().st_size / 1024:.0f} kB")
    return 0 if shown == str(labels[args.index]) else 1


if __name__ == "__main__":
    sys.exit(main())
