"""Draw on the Draw page as a person would: open it, trace strokes with the mouse, wait for the rerun,
clear, and read the Prediction or the browser's own pixels. Both canvases: the app's live one and the
classic streamlit-drawable-canvas.
"""
from __future__ import annotations

import numpy as np

from mnistcore import forward, preprocess_canvas, scale_input

from .server import data_url_image, wait_for_app_idle

LIVE, CLASSIC = "live", "classic"
CANVAS = {LIVE: 'canvas[data-testid="live-canvas"]', CLASSIC: "canvas.upper-canvas"}
GRAB = {  # the pixels the browser shows, as a PNG data URL
    LIVE: "(c) => c.toDataURL('image/png')",
    CLASSIC: """(upper) => {  // composite the component's visible canvases (background + drawing)
  const out = document.createElement('canvas'); out.width = upper.width; out.height = upper.height;
  const ctx = out.getContext('2d');
  for (const c of upper.getRootNode().querySelectorAll('canvas'))
    if (c !== upper && !c.classList.contains('upper-canvas')) ctx.drawImage(c, 0, 0, out.width, out.height);
  return out.toDataURL('image/png');
}"""}
PREDICTION_IS = """(want) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
    m.innerText.includes('Prediction') && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === want)"""
# Every change of the Prediction metric's text (digit and "x% sure"), and every pen-up, on the browser's clock.
WATCH = """() => {
  window.__log = []; window.__ups = [];
  window.addEventListener('pointerup', () => window.__ups.push(performance.now()), true);
  let last = null;
  new MutationObserver(() => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {  // the page's own, not a view's
      const l = m.querySelector('[data-testid="stMetricLabel"]');          // "Prediction with those units off"
      if (!l || l.innerText.trim() !== 'Prediction') continue;
      if (m.innerText !== last) { last = m.innerText; window.__log.push([performance.now(), last]); }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""

# Every message the page sends to the server, with the app's script state at that moment and the pen's
# (install it with page.add_init_script(f"({SENDS})()") before the page opens).
SENDS = """() => {
  window.__sends = []; let down = false;
  addEventListener('pointerdown', () => { down = true; }, true);
  addEventListener('pointerup', () => { down = false; }, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const app = document.querySelector('[data-testid="stApp"]');
    const c = window.__liveCanvas;  // and, should it fail, what the canvas knew: ms, seq, acked, took
    window.__sends.push([down, app && app.getAttribute('data-test-script-state'), Math.round(performance.now()),
                         c && [c.seq, c.acked, Math.round(c.took)]]);
    return send.call(this, data);
  };
}"""


def open_draw_page(page, url, kind=LIVE):
    page.goto(url)
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=30000)
    wait_for_app_idle(page)
    if kind == CLASSIC:
        page.get_by_text("Classic canvas").click()
    canvas = page.locator(CANVAS[kind]).first
    canvas.wait_for(timeout=30000)
    wait_for_app_idle(page)
    canvas.scroll_into_view_if_needed()  # clicking the switch may have scrolled the page
    box = canvas.bounding_box()
    # park the pointer on the canvas: the classic component's invisible toolbar covers its top edge until hovered
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    return canvas, box


def settle(page, kind=LIVE):
    """Wait for the rerun the last pen-up causes (the classic canvas first waits out its 200 ms debounce)."""
    page.wait_for_timeout(450 if kind == CLASSIC else 150)
    wait_for_app_idle(page)
    page.wait_for_timeout(100)
    wait_for_app_idle(page)


def draw(page, box, strokes, size=280, pause_ms=0):
    k = box["width"] / size
    for pts in strokes:
        page.mouse.move(box["x"] + pts[0][0] * k, box["y"] + pts[0][1] * k)
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(box["x"] + x * k, box["y"] + y * k)
            if pause_ms:
                page.wait_for_timeout(pause_ms)
        page.mouse.up()


def reset(page, kind=LIVE):
    if kind == CLASSIC:
        page.get_by_title("Reset canvas & history", exact=True).click()
    else:
        page.get_by_role("button", name="Clear the drawing").click()
    page.wait_for_function(PREDICTION_IS, arg="–", timeout=10000)
    wait_for_app_idle(page)


def grabbed_prediction(canvas, params, kind=LIVE):
    url = canvas.evaluate(GRAB[kind])
    rgba = np.asarray(data_url_image(url).convert("RGBA"))
    x = preprocess_canvas(rgba)
    return None if x is None else str(int(forward(params, scale_input(x[None])).probs.argmax()))
# WATCH logs pen-ups and every change of the Prediction; this adds the end
# of every script run (running -> notRunning), on the same clock.
RUN_ENDS = """() => {
  window.__idle = [];
  // the whole document, not the stApp element found now: one that the page mounts again later (seen under a
  // heavily loaded server) would leave an observer of the old one logging nothing
  new MutationObserver((records) => { for (const r of records)
    if (r.target.dataset.testid === 'stApp' && r.oldValue !== 'notRunning'
        && r.target.getAttribute('data-test-script-state') === 'notRunning')
      window.__idle.push(performance.now()); })
    .observe(document.body, {subtree: true, attributes: true, attributeOldValue: true,
                             attributeFilter: ['data-test-script-state']});
}"""
