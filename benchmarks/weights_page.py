"""Time the Weights page in Chromium and count what it sends, against its bars.

Run from the repository root (needs the dev venv and Debian's chromium, as `make test` sets up):

    .venv/bin/python -m benchmarks.weights_page [--rounds 5]

It starts `streamlit run app.py` on 127.0.0.1 and, in each round, opens a fresh browser context (empty
HTTP cache, new session) and measures, on the browser's clock as seen from Playwright:
  draw:    GET / until the Draw page shows its canvas and its (empty) probability chart and is idle:
           what any visit costs before the first page is usable (the canvas then has the browser load
           Plotly's JavaScript while idle, mnistapp/live_canvas.py; the click below waits for the Draw
           page's model file and 500 ms more);
  sidebar: then a click on "Weights" in the sidebar until the W1 heatmap (784x512) is drawn and the
           script is idle: the navigation the bar is about;
  slider:  one step of the colour-range slider until the new heatmap is drawn;
  direct:  in another fresh context, GET /weights until the heatmap is drawn: a cold visit straight
           to the page, Plotly loaded on the way.
Bytes are what the page receives during the sidebar navigation: every websocket frame as the browser
hands it over (decompressed), the same frames deflated one by one (zlib, level 6, what
permessage-deflate does, close to what crosses the network), and every HTTP response's body and
headers as they crossed the network (Chromium's `encodedDataLength`, from its DevTools protocol).
The first round runs on the fresh server (its caches empty, so the click also builds the figure);
the rounds after it are summed up by their medians. The machine may be busy, so `direct` is also
printed as a ratio to `draw`. Bars, printed as PASS or FAIL (exit status 1 on a FAIL), each for the
fresh server's round and for the medians:
  sidebar navigation interactive in at most 1.5 s; at most 1.5 MB received (websocket and HTTP).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib

from playwright.sync_api import sync_playwright

from harness.server import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_for_app_idle

# the W1 heatmap's one <image>: an image trace's, or a Plotly heatmap's (so one copy times both, before and after)
HEATMAP = ", ".join(f'[data-testid="stPlotlyChart"] .js-plotly-plot .{layer} image' for layer in ("im", "hm"))
MAX_SECONDS, MAX_BYTES = 1.5, 1_500_000


def timed(action, *selectors, page) -> float:
    start = time.perf_counter()
    action()
    for s in selectors:
        page.wait_for_selector(s, timeout=60000)
    wait_for_app_idle(page, 60000)
    return time.perf_counter() - start


def one_round(browser, url: str) -> dict:
    out = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda p: frames.append(p if isinstance(p, bytes) else p.encode())))
    http: list[int] = []  # bytes of each HTTP response, as received
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.loadingFinished", lambda e: http.append(int(e["encodedDataLength"])))
    out["draw"] = timed(lambda: page.goto(url), '[data-testid="live-canvas"]', ".softmax-bars", page=page)
    page.wait_for_function("() => window.__liveModel", timeout=60000)  # the Draw page's model file has arrived
    page.wait_for_timeout(500)
    seen, seen_http = len(frames), len(http)
    out["sidebar"] = timed(lambda: page.locator('[data-testid="stSidebarNav"] a', has_text="Weights").click(),
                           HEATMAP, page=page)
    page.wait_for_timeout(200)
    sent = frames[seen:]
    out["bytes"] = sum(map(len, sent))
    out["deflated"] = sum(len(zlib.compressobj(6, zlib.DEFLATED, -15).compress(f)) + 6 for f in sent)
    out["http"] = sum(http[seen_http:])
    out["received"] = out["bytes"] + out["http"]
    image = page.locator(HEATMAP).first
    old = image.get_attribute("href") or image.get_attribute("xlink:href")

    def step():
        page.get_by_role("slider").first.press("ArrowLeft")
        page.wait_for_function("""([old, sel]) => { const i = document.querySelector(sel);
            return i && (i.getAttribute('href') || i.getAttribute('xlink:href')) !== old; }""", arg=[old, HEATMAP],
                               timeout=60000)
    out["slider"] = timed(step, HEATMAP, page=page)
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    out["direct"] = timed(lambda: page.goto(f"{url}/weights"), HEATMAP, page=page)
    context.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    proc = start_streamlit(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            fresh = one_round(browser, url)  # the fresh server: its caches fill (figures are built once per model)
            rounds = [one_round(browser, url) for _ in range(args.rounds)]
            browser.close()
    finally:
        stop(proc)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    for k in ("draw", "sidebar", "slider", "direct"):
        print(f"{k:8s} fresh server {fresh[k]:.2f} s, then median {med[k]:.2f} s   "
              f"(rounds: {', '.join(f'{r[k]:.2f}' for r in rounds)})")
    print(f"direct visit / Draw page visit: {med['direct'] / med['draw']:.2f}x")
    for name, r in (("fresh server", fresh), ("median", med)):
        print(f"sidebar navigation received ({name}) {r['received']:,.0f} B: {r['bytes']:,.0f} B over the websocket "
              f"(~{r['deflated']:,.0f} B deflated) and {r['http']:,.0f} B over HTTP")
    ok = True
    for when, r in (("fresh server", fresh), ("median", med)):
        for name, good, detail in (
                ("sidebar navigation interactive in at most 1.5 s", r["sidebar"] <= MAX_SECONDS, f"{r['sidebar']:.2f} s"),
                ("at most 1.5 MB received", r["received"] <= MAX_BYTES, f"{r['received']:,.0f} B")):
            print(f"{'PASS' if good else 'FAIL'}  {name} ({when}): {detail}")
            ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
