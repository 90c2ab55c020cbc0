"""harness/wire.py: a session without a browser replays what a real Chromium page sent while drawing,
and the app answers it as it answered the page (the crowd of `benchmarks/class_load.py --crowd wire`)."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.async_api import async_playwright

from benchmarks.class_browse import record_walk
from harness.canvas import draw, open_draw_page, reset, settle
from harness.server import CHROMIUM, CHROMIUM_ARGS, metric_value
from harness.strokes import digit_strokes
from harness.wire import Recorder, WireSession, is_rerun, session_model
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

pytestmark = pytest.mark.browser


def in_own_loop(coroutine):
    """Run a coroutine on its own event loop in a thread: the sync Playwright of the fixtures keeps its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_session_without_a_browser_replays_a_pages_drawings_and_gets_its_answers(app_url, page, tmp_path):
    recorder = Recorder(page)
    _, box = open_draw_page(page, app_url)
    first = recorder.sent[0][1]  # the page load
    images, labels = load_mnist("test", DATA_DIR)
    drawings, clears, shown = [], [], []
    for i in (0, 1, 2):  # a 7, a 2 and a 1: a replay out of step would show another digit
        start = recorder.mark()
        draw(page, box, digit_strokes(images[i], 280))
        settle(page)
        shown.append(metric_value(page, "Prediction"))
        end = recorder.mark()
        reset(page)
        drawings.append(recorder.between(start, end))
        clears.append(recorder.between(end, recorder.mark()))
    assert shown == [str(d) for d in labels[:3]]
    assert all(any(is_rerun(m) for _, m in d) for d in drawings + clears)
    model = session_model(tmp_path, 5)

    async def wire():
        session = WireSession(app_url)
        await session.open(first)
        assert session.uploader_id and "model.upload" in session.uploader_id
        await session.upload(model)  # raises unless the sidebar says the model is in use
        # it answered the browser store as a browser does, so the server no longer holds the model's write
        assert session.writes_done and session.writes_held == []
        answers = []
        for drawing, clear in zip(drawings, clears):
            runs = session.runs
            for _, message in drawing:
                await session.send(message)
            assert session.runs >= runs + sum(is_rerun(m) for _, m in drawing)  # each send waited for its run
            answers.append(session.metrics.get("Prediction"))
            for _, message in clear:
                await session.send(message)
            answers.append(session.metrics.get("Prediction"))
        # replay: the recorded drawings again and again, on their recorded clock, until told to stop
        stop = asyncio.Event()
        task = asyncio.create_task(session.replay([drawings[0] + clears[0]], stop))
        runs = session.runs
        while session.runs < runs + 2 * len(drawings[0] + clears[0]) and not task.done():
            await asyncio.sleep(0.1)
        stop.set()
        done = await asyncio.wait_for(task, 60)
        await session.close()
        return answers, done, session.errors

    answers, done, errors = in_own_loop(wire())
    assert answers == [shown[0], "–", shown[1], "–", shown[2], "–"]
    assert done >= 2 and errors == 0
    # the upload stayed in its own session: this page, drawing again, still reads with the shipped model
    draw(page, box, digit_strokes(images[3], 280))
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Shipped model" in sidebar and model.name not in sidebar


def test_a_session_without_a_browser_replays_a_walk_through_the_pages_and_gets_each_page(app_url):
    """The browsing share of `class_load.py --browse-share`: the walk a Chromium page recorded, Draw ->
    Weights -> Test set -> Draw, replayed over the websocket, has the server run and send each page in turn."""
    async def walk_and_replay():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            walk = await record_walk(browser, app_url, look_s=0)
            context = await browser.new_context()
            page = await context.new_page()
            recorder = Recorder(page)
            await page.goto(app_url)
            await page.locator('canvas[data-testid="live-canvas"]').wait_for(timeout=60000)
            first = recorder.sent[0][1]  # a page load of the Draw page, as the crowd's sessions open
            await browser.close()
        session = WireSession(app_url)
        await session.open(first)
        pages = []
        for _, message in walk:
            await session.send(message)
            if is_rerun(message):
                pages.append(" ".join(session.texts))
        await session.close()
        return pages, session.errors

    pages, errors = in_own_loop(walk_and_replay())
    seen = [next((name for name, mark in (("Weights", "Row i is input pixel (r, c)"),
                                            ("Test set", "The 10,000 MNIST test images"),
                                            ("Draw", "What it computes, in plain NumPy")) if mark in text), None)
            for text in pages]
    visited = [name for k, name in enumerate(seen) if name and (k == 0 or seen[k - 1] != name)]
    assert visited[-3:] == ["Weights", "Test set", "Draw"], seen
    assert errors == 0
