"""The browsing phase of benchmarks/class_load.py: some of a class look at the Weights and Test set pages
while the rest draw.

One Chromium page walks through the sidebar once, looking at each page for `look_s`: Draw, then Weights
(until its W1 heatmap is drawn), then Test set, then back to Draw; its messages are recorded
(harness/wire.py's Recorder). A share of the crowd's sessions without a browser then replay that walk, again
and again, instead of drawings, while the one Chromium page and the other sessions draw; each rerun waits
for the one before to finish, as the browser's would. The server sends them each page as it would a
browser (the heatmap's 0.4 MB figure among them); the heatmap's hover values, a media file that a browser
fetches once per model over HTTP, they do not fetch.
"""
from __future__ import annotations

import statistics

import numpy as np

from harness.server import SCRIPT_STATE_IS
from harness.wire import Recorder

SIDEBAR = '[data-testid="stSidebarNav"] a'
HEATMAP = '[data-testid="stPlotlyChart"] .js-plotly-plot image'
CANVAS = 'canvas[data-testid="live-canvas"]'
WALK = (("Weights", HEATMAP), ("Test set", None), ("Draw", CANVAS))  # sidebar link, what shows the page is there


async def idle(page) -> None:
    await page.wait_for_timeout(300)
    await page.wait_for_function(SCRIPT_STATE_IS, arg="notRunning", timeout=120000)


async def record_walk(browser, url: str, look_s: float) -> list[tuple[float, bytes]]:
    """The messages of one walk Draw -> Weights -> Test set -> Draw by a fresh Chromium session, each with
    its time after the walk's start."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    recorder = Recorder(page)
    await page.goto(url, timeout=120000)
    await page.locator(CANVAS).first.wait_for(timeout=120000)
    await idle(page)
    start = recorder.mark()
    await page.wait_for_timeout(look_s * 1000)  # a look at the Draw page before the walk begins again
    for name, shown in WALK:
        await page.locator(SIDEBAR, has_text=name).click()
        if shown:
            await page.locator(shown).first.wait_for(timeout=120000)
        await idle(page)
        await page.wait_for_timeout(look_s * 1000)
    walk = recorder.between(start, recorder.mark())
    await context.close()
    return walk


def browsing_sessions(n: int, share: float) -> int:
    """How many of a phase's n - 1 sessions without a browser browse: at least one when the share is above 0."""
    return min(n - 1, max(1, round(share * (n - 1)))) if share > 0 else 0


def drawer_times(results: list[dict]) -> tuple[float, float, int]:
    """(median, p90 in ms, drawings) of the timed drawings (the Chromium page's) of a phase's results."""
    runs = [w for r in results for w in r["runs"]]
    if not runs:
        return float("nan"), float("nan"), 0
    return statistics.median(runs), float(np.percentile(runs, 90)), len(runs)


def print_browsing(rows: list[tuple], browsed: list[tuple], share: float, look_s: float) -> None:
    """The drawers' times of each phase without browsers and with them, side by side."""
    if not browsed:
        return
    print(f"browsing (--browse-share {share:g}): sessions without a browser walk Draw -> Weights -> Test set -> Draw, "
          f"{look_s:g} s on each page, instead of drawing; the Chromium page's drawings (ms, pen-up to final):")
    print("sessions  browsing  drawings  final median  final p90  | without browsing: median  p90  | walks  lost  errors")
    without = {row[0]: (row[5], row[6]) for row in rows}
    for n, k, (median, p90, count), walks, lost, errors in browsed:
        base = without.get(n, (float("nan"), float("nan")))
        print(f"{n:8d}  {k:8d}  {count:8d}  {median:12.0f}  {p90:9.0f}  |  {base[0]:23.0f}  {base[1]:4.0f}  |"
              f"  {walks:5d}  {lost:4d}  {errors:6d}")
