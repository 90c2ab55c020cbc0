"""Many visitors on one server: 1, then 8, then 20 browser sessions drawing digits at once, against the bars below.

Run from the repository root (needs the dev venv and Debian's chromium, as `make test` sets up):

    .venv/bin/python -m benchmarks.class_load [--digits 5] [--phases 1 8 20]

It starts one `streamlit run app.py` on 127.0.0.1 and one Chromium. Each session is its own browser
context (its own cookies, websocket and Streamlit session): it opens the Draw page, uploads its own
784-512-10 model (the shipped weights plus its own noise, as .npz) and waits for the sidebar to show it,
then draws `--digits` MNIST test digits one after another with real mouse strokes, each on a cleared
canvas (after one untimed warm-up digit). It draws at a person's pace: one mouse move (20 px of stroke)
every `--move-ms` 40 ms, so about 500 px a second and a digit in about a second, and it looks at each
answer for `--look-s` 2 s before pressing Clear, as a class would. `--move-ms 0 --look-s 0` is the stress
run: moves as fast as Chromium takes them (one per frame) and no pause, each session asking for a new
answer as soon as it has one. All sessions of a phase draw at the same time, each its own
digits (session i of every phase the same ones), so that their pen-ups are not all in the same instant;
a single session draws, one after the other, the digits of the first 8 sessions.
With `--crowd wire` only one Chromium page draws in the phases beyond the first: the digits the single
session drew, again, while the other sessions, without a browser (harness/wire.py), each upload their own
model and replay the single session's recorded drawings over Streamlit's websocket (harness/wire.py says why: on
one 2-core machine 8 Chromium pages at a person's pace need more CPU than the machine has).
Per drawing, on the browser's clock, from the last pen-up: to the last change of the Prediction metric
("shown"; zero when the final answer was on screen before the pen lifted), and to the end of the last
script run ("final": the pen-up's drawing has been read and drawn; the ratio bar uses this one). A drawing is lost when no
Prediction appears within 60 s, or a Clear does not empty the Prediction within 120 s; an error is any
Streamlit exception element. The server's resident memory (VmRSS) is read after each phase, its peak
(VmHWM) at the end.

With `--crowd wire --browse-share F`, each phase beyond the first runs a second time, with a share F of
the sessions without a browser walking through the Draw, Weights and Test set pages instead of drawing
(benchmarks/class_browse.py), and the Chromium page's times are printed with and without them.

Bars, printed as PASS or FAIL (exit status 1 on a FAIL): no lost drawing, no error; the median under 8
sessions at most 3x the single session's; the server's peak RSS at most 600 MB with 20 sessions.

`--learn N` (with `--crowd wire`) adds a Learn phase after the others: N sessions without a browser
(harness/wire_learn.py) open the Learn page, set a small network (`--learn-hidden`, `--learn-epochs`: the
page's own settings) and press Start at once, while N others draw as in a phase of N. Bars: every
training finishes (or waits in the queue with its place shown, and then finishes), no error, the
server's peak RSS at most 690 MB, and the drawers' median at most 2x theirs in a phase of N without
trainings (give one in `--phases`).

`--cold N` runs instead: one browser records a page load and drawings on a server of its own, then N
sessions without a browser arrive at a fresh server within `--cold-within` 10 s of its first health
check, each opening the app (uploading its model, per `--own-share`) and replaying one drawing. Bars:
no lost session, no error, every answer to the first drawing within 5 s of the message that asked.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.async_api import async_playwright

from benchmarks.class_browse import browsing_sessions, drawer_times, print_browsing, record_walk
from harness.canvas import RUN_ENDS, WATCH
from harness.server import CHROMIUM, CHROMIUM_ARGS, SCRIPT_STATE_IS, cpu_seconds, free_port, rss_mb, start_streamlit, stop
from harness.strokes import digit_strokes
from harness.wire import Recorder, WireSession, is_rerun, session_model
from harness.wire_learn import LearnSession
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

MAX_RATIO, MAX_RSS_MB = 3.0, 600
RETURN_SHARE = 0.15  # memory after the class has left: at most this much above the server's after its first visitor
MAX_CLASS_RSS_MB = 690  # the smallest free-tier server a class uses
MAX_LEARN_RATIO = 2.0   # the drawers' median beside a class's trainings, against theirs without
COLD_FIRST_S = 5.0      # a cold server's visitors: each first answer within this long of its pen-up
CANVAS = 'canvas[data-testid="live-canvas"]'
PREDICTION = """() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
  const l = m.querySelector('[data-testid="stMetricLabel"]');
  if (l && l.innerText.trim() === 'Prediction') return m.querySelector('[data-testid="stMetricValue"]').innerText.trim(); }
  return null; }"""









async def draw(page, box, strokes, move_ms: float) -> None:
    """Drag the mouse through each stroke's points, one move at least `move_ms` after the one before."""
    k = box["width"] / 280
    loop = asyncio.get_running_loop()
    due = loop.time()
    for pts in strokes:
        for i, (x, y) in enumerate(pts):
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = loop.time() + move_ms / 1000
            await page.mouse.move(box["x"] + x * k, box["y"] + y * k)
            if i == 0:
                await page.mouse.down()
        await page.mouse.up()


async def settle(page) -> None:
    """Idle twice, 300 ms apart: the pen-up's rerun and anything it triggered have finished."""
    for _ in range(2):
        await page.wait_for_timeout(300)
        await page.wait_for_function(SCRIPT_STATE_IS, arg="notRunning", timeout=120000)


async def open_session(browser, url: str, model: Path | None):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.recorder = Recorder(page)  # what the page sends, for the sessions without a browser (--crowd wire)
    await page.goto(url, timeout=120000)
    await page.locator(CANVAS).first.wait_for(timeout=120000)
    await page.wait_for_function(SCRIPT_STATE_IS, arg="notRunning", timeout=120000)
    if model is not None:  # else it draws on the shipped model, as most of a class does
        await page.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(model), timeout=120000)
        await page.locator('[data-testid="stSidebar"]').get_by_text(f"{model.name} is now in use").wait_for(timeout=120000)
    await settle(page)
    await page.evaluate(WATCH)
    await page.evaluate(RUN_ENDS)
    return context, page


async def run_session(page, digits: list[np.ndarray], move_ms: float, look_s: float) -> dict:
    canvas = page.locator(CANVAS).first
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    waits, runs, counts, lost, sent = [], [], [], 0, []
    for n, img in enumerate(digits):
        start = page.recorder.mark()
        await page.evaluate("window.__log = []; window.__ups = []; window.__idle = []")
        await draw(page, box, digit_strokes(img, 280), move_ms)
        try:
            await page.wait_for_function(f"() => {{ const v = ({PREDICTION})(); return v && v !== '–'; }}",
                                         timeout=60000)
            await settle(page)
        except Exception:  # no prediction within 60 s: a lost drawing
            lost += 1
            continue
        log, ups, idle = await page.evaluate("[window.__log, window.__ups, window.__idle]")
        if n > 0:  # the first drawing warms the session up (its first hidden-layer charts): not timed
            waits.append(max([t for t, _ in log] + [ups[-1]]) - ups[-1])
            runs.append(max(idle + [ups[-1]]) - ups[-1])
            counts.append(len(idle))
        await asyncio.sleep(look_s)  # a person reads the answer before clearing
        try:
            await page.get_by_role("button", name="Clear the drawing").click()
            await page.wait_for_function(f"() => ({PREDICTION})() === '–'", timeout=120000)
            await settle(page)
        except Exception:  # a Clear that never reached the page: counted, and the run goes on
            lost += 1
        sent.append(page.recorder.between(start, page.recorder.mark()))  # this drawing and its Clear
    errors = await page.locator('[data-testid="stException"]').count()
    return {"waits": waits, "runs": runs, "counts": counts, "lost": lost, "errors": errors, "sent": sent}


async def open_wire(url: str, model: Path | None, first: bytes) -> WireSession:
    wire = WireSession(url)
    await wire.open(first)
    if model is not None:
        await wire.upload(model)
    return wire


async def run_wire(wire: WireSession, drawings: list, stop: asyncio.Event) -> dict:
    """A session without a browser replays recorded drawings until `stop`; a run that never ends is lost."""
    try:
        replayed, lost = await wire.replay(drawings, stop), 0
    except TimeoutError:
        replayed, lost = 0, 1
    return {"waits": [], "runs": [], "counts": [], "lost": lost, "errors": wire.errors, "replayed": replayed,
            "wire_ms": [1000 * w for w in wire.waits]}


def wire_median(results: list[dict]) -> float:
    """The median of the crowd's answers: from each rerun message sent to the end of the server's run (ms)."""
    waits = [w for r in results for w in r.get("wire_ms", [])]
    return statistics.median(waits) if waits else float("nan")


async def phase(browser, url: str, server_pid: int, n: int, models: list[Path], digits: list[np.ndarray],
                move_ms: float, look_s: float, recorded: dict | None = None, walk: list | None = None,
                browsing: int = 0, beside=None):
    """`recorded` (--crowd wire): the single session's first message and drawings, replayed by n - 1
    sessions without a browser while one browser session draws what the single session drew; the first
    `browsing` of them replay `walk` (class_browse.py) instead. `beside`: a coroutine function started as
    the drawing starts (the Learn phase's trainings) and awaited after it."""
    wires = recorded is not None and n > 1
    # one after another: not timed. The crowd first: a page left waiting the minutes 59 uploads take on a busy
    # machine logged no script run's end and no Prediction change from then on (a median of 0 ms).
    crowd = [await open_wire(url, models[i], recorded["first"]) for i in range(1, n)] if wires else []
    sessions = [await open_session(browser, url, models[i]) for i in range(1 if wires else n)]
    print(f"{n} sessions open; drawing", flush=True)
    start, cpu = time.perf_counter(), (cpu_seconds(server_pid), cpu_seconds(os.getpid()))
    alongside = asyncio.create_task(beside()) if beside is not None else None
    # alone, the one session draws what 8 draw at once (without their warm-ups): the same digits
    mine = digits[0] + [d for own in digits[1:8] for d in own[1:]]
    if n == 1:
        results = [await run_session(sessions[0][1], mine, move_ms, look_s)]
    elif wires:  # each of the crowd starts at another drawing of the recording, so they do not all pen-up at once
        drawings, stop = recorded["drawings"], asyncio.Event()
        starts = [7 * i % len(drawings) for i in range(1, n)]  # the i-th begins at its own digits' place
        plans = [drawings[s:] + drawings[:s] for s in starts]
        plans[:browsing] = [[walk]] * browsing  # these look at the other pages instead of drawing
        tasks = [asyncio.create_task(run_wire(w, plan, stop)) for w, plan in zip(crowd, plans)]
        results = [await run_session(sessions[0][1], mine, move_ms, look_s)]
        stop.set()
        results += await asyncio.gather(*tasks)
        for w in crowd:
            await w.close()
    else:
        results = await asyncio.gather(*(run_session(page, digits[i], move_ms, look_s)
                                         for i, (_, page) in enumerate(sessions)))
    seconds = time.perf_counter() - start
    server_cpu = cpu_seconds(server_pid) - cpu[0]
    browsers_cpu = cpu_seconds(os.getpid()) - cpu[1] - server_cpu  # Chromium, Playwright and this script
    if alongside is not None:
        await alongside
    return sessions, results, seconds, (server_cpu / seconds, browsers_cpu / seconds)


async def browse_phase(browser, url: str, server_pid: int, n: int, models: list[Path], digits: list[np.ndarray],
                       args, recorded: dict, walks: list) -> tuple:
    """Phase n again (--crowd wire), with a share of its sessions without a browser walking through the
    pages instead of drawing (class_browse.py); `walks` keeps the recorded walk for the next phase.
    Returns (n, sessions browsing, (the Chromium page's median, p90, drawings), walks done, lost, errors)."""
    if not walks:
        walks.append(await record_walk(browser, url, args.look_s))
    k = browsing_sessions(n, args.browse_share)
    print(f"{n} sessions again, {k} of them browsing", flush=True)
    sessions, results, _, _ = await phase(browser, url, server_pid, n, models, digits, args.move_ms, args.look_s,
                                          recorded, walk=walks[0], browsing=k)
    for context, _ in sessions:
        await context.close()
    await asyncio.sleep(2)
    walked = sum(r.get("replayed", 0) for r in results[1:1 + k])  # results: the page's, then the crowd's in order
    return (n, k, drawer_times(results), walked, sum(r["lost"] for r in results), sum(r["errors"] for r in results))


async def learn_phase(browser, url: str, server_pid: int, n: int, models: list[Path], digits: list[np.ndarray],
                      args, recorded: dict):
    """The Learn phase (--learn n): n sessions without a browser open the Learn page and press Start at once
    (a `--learn-hidden` network for `--learn-epochs`), while n others draw as in a phase of n. Returns the
    phase's drawing results as `phase` does, and the trainings': seconds each (None: never finished), the
    largest queue position each saw (None: it never waited), errors, failures."""
    learners = []
    for _ in range(n):  # one after another: not timed
        learners.append(LearnSession(url))
        await learners[-1].open_learn()
    trained: list = []

    async def one(learner: LearnSession) -> float | None:
        try:
            return await learner.train(args.learn_hidden, args.learn_epochs)
        except TimeoutError:  # a run that never ended, or no test accuracy within the time
            return None

    async def train_all() -> None:
        trained.extend(await asyncio.gather(*(one(s) for s in learners)))

    out = await phase(browser, url, server_pid, n, models, digits, args.move_ms, args.look_s, recorded, beside=train_all)
    for s in learners:
        await s.close()
    return out, {"seconds": trained, "aheads": [max(s.aheads, default=None) for s in learners],
                 "errors": sum(s.errors for s in learners), "failed": [s.failed for s in learners if s.failed]}


def learn_report(learned: dict, median: float, alone: float | None, peak: float) -> tuple[list[str], bool]:
    """The Learn phase's lines and verdicts: every training done, the queue shown, no error, the drawers'
    median against theirs without trainings, the peak memory."""
    secs = learned["seconds"]
    done = [t for t in secs if t is not None]
    waited = [a for a in learned["aheads"] if a is not None]
    lines = [f"Learn phase: {len(secs)} trainings started at once beside the drawers, {len(done)} finished "
             f"(median {statistics.median(done) if done else float('nan'):.1f} s, longest "
             f"{max(done, default=float('nan')):.1f} s from Start to the test accuracy); {len(waited)} waited in the queue "
             f"and saw their place (largest shown: {max(waited, default=0)} ahead); "
             f"{learned['errors']} errors, {len(learned['failed'])} failed"]
    ok = len(done) == len(secs) and not learned["errors"] and not learned["failed"]
    lines.append(f"{'PASS' if ok else 'FAIL'} every training finished or waited visibly, without an error")
    if alone is not None:  # for information: under load the page misses run ends (0 ms), so the crowd's decides
        lines.append(f"the drawing page's median with the trainings / without: {median:.0f} / {alone:.0f} ms "
                     f"({learned['ends']} run ends seen)")
    lines.append(f"{'PASS' if peak <= MAX_CLASS_RSS_MB else 'FAIL'} peak RSS with the Learn phase {peak:.0f} MB "
                 f"(bar {MAX_CLASS_RSS_MB} MB)")
    return lines, ok and peak <= MAX_CLASS_RSS_MB


async def record_drawings(args, digits: list[np.ndarray]) -> dict:
    """One browser session's page load and drawings on a server of its own, for a cold server's visitors to replay."""
    port = free_port()
    server = start_streamlit(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            _, page = await open_session(browser, f"http://127.0.0.1:{port}", None)
            result = await run_session(page, digits, args.move_ms, args.look_s)
            await browser.close()
    finally:
        stop(server)
    return {"first": page.recorder.sent[0][1], "drawings": result["sent"]}


async def cold_visitor(url: str, model: Path | None, first: bytes, drawing: list, delay: float) -> dict:
    """A visitor who arrives `delay` s after the server started, opens the app (uploading `model`), and
    replays one drawing: how long after the start it was in, and the longest wait for one of the
    drawing's answers (its pen-ups and Clear), or lost."""
    await asyncio.sleep(delay)
    wire, started, waits = WireSession(url), time.monotonic(), []
    try:
        await wire.open(first)
        if model is not None:
            await wire.upload(model)
        opened = time.monotonic() - started
        begin = time.monotonic()
        for after, message in drawing:
            await asyncio.sleep(max(0.0, begin + after - time.monotonic()))
            sent = time.monotonic()
            await wire.send(message)
            if is_rerun(message):
                waits.append(time.monotonic() - sent)
        return {"opened": delay + opened, "first": max(waits, default=0.0), "lost": 0, "errors": wire.errors}
    except (TimeoutError, OSError, RuntimeError) as e:  # never opened, never took its model, or an answer never came
        why = "no answer within 120 s" if isinstance(e, TimeoutError) else f"{type(e).__name__}: {str(e)[:300]}"
        return {"opened": float("nan"), "first": float("nan"), "lost": 1, "errors": wire.errors, "why": why}
    finally:
        await wire.close()


async def cold_async(args) -> int:
    """--cold n: n visitors arrive within `--cold-within` s of a fresh server's start, each replaying one drawing."""
    images, _ = load_mnist("test", DATA_DIR)
    recorded = await record_drawings(args, [images[200 + j] for j in range(args.digits + 1)])
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    every = max(1, round(1 / args.own_share)) if args.own_share > 0 else 0
    models = [session_model(folder, i) if every and i % every == 0 else None for i in range(args.cold)]
    port = free_port()
    server = start_streamlit(port)  # returns once the server answers its health check: t = 0
    try:
        base = rss_mb(server.pid)
        drawings = recorded["drawings"]
        results = await asyncio.gather(*(cold_visitor(f"http://127.0.0.1:{port}", models[i], recorded["first"],
                                                      drawings[i % len(drawings)], args.cold_within * i / args.cold)
                                         for i in range(args.cold)))
        peak = rss_mb(server.pid, "VmHWM")
    finally:
        stop(server)
    firsts = [r["first"] for r in results if not r["lost"]]
    opened = [r["opened"] for r in results if not r["lost"]]
    lost, errors = sum(r["lost"] for r in results), sum(r["errors"] for r in results)
    own = sum(m is not None for m in models)
    print(f"cold server: {args.cold} visitors ({own} with a model of their own) arriving evenly over the first "
          f"{args.cold_within:g} s after it answered its health check, each replaying one recorded drawing")
    print(f"server RSS at the start {base:.0f} MB, peak {peak:.0f} MB; in (page loaded and model taken) by "
          f"{max(opened, default=float('nan')):.1f} s after the start")
    print(f"longest wait for an answer of the first drawing: median {statistics.median(firsts) if firsts else float('nan'):.2f} s, "
          f"p90 {float(np.percentile(firsts, 90)) if firsts else float('nan'):.2f} s, "
          f"max {max(firsts, default=float('nan')):.2f} s; {lost} lost, {errors} errors")
    for why in sorted({r["why"] for r in results if r["lost"]}):
        print(f"lost: {sum(r.get('why') == why for r in results)} x {why}")
    ok = not lost and not errors and max(firsts, default=0.0) <= COLD_FIRST_S
    print(f"{'PASS' if ok else 'FAIL'} cold class: 0 lost, 0 errors, every first answer within {COLD_FIRST_S:g} s")
    return 0 if ok else 1


async def main_async(args) -> int:
    images, _ = load_mnist("test", DATA_DIR)
    # session i draws its own digits (one more: the warm-up), as a class would: the same ones in every session
    # would pen-up in lockstep, all at once on every digit
    per = args.digits + 1
    digits = [[images[200 + i * per + j] for j in range(per)] for i in range(max(args.phases))]
    port = free_port()
    server = start_streamlit(port, () if args.session_ttl is None else
                             ("--server.disconnectedSessionTTL", str(args.session_ttl)))
    url = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    every = max(1, round(1 / args.own_share)) if args.own_share > 0 else 0  # every k-th session has its own model
    models = [session_model(folder, seed) if every and seed % every == 0 else None
              for seed in range(sum(args.phases) + args.learn)]
    rows, medians, failures, used, recorded, crowd_medians = [], {}, [], 0, None, {}
    browsed, walks = [], []  # --browse-share: the phases run again with browsing, and the recorded walk
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            base, first_visitor = rss_mb(server.pid), None
            for n in args.phases:
                sessions, results, seconds, cores = await phase(browser, url, server.pid, n, models[used:used + n],
                                                                digits, args.move_ms, args.look_s, recorded)
                used += n
                if args.crowd == "wire" and n == 1:
                    recorded = {"first": sessions[0][1].recorder.sent[0][1], "drawings": results[0]["sent"]}
                waits = [w for r in results for w in r["waits"]]
                runs = [w for r in results for w in r["runs"]]
                per_drawing = float(np.mean([c for r in results for c in r["counts"]] or [np.nan]))
                lost, errors = sum(r["lost"] for r in results), sum(r["errors"] for r in results)
                medians[n] = statistics.median(runs) if runs else float("nan")
                rss = rss_mb(server.pid)
                first_visitor = rss if first_visitor is None else first_visitor
                rows.append((n, len(waits), lost, errors, statistics.median(waits) if waits else float("nan"),
                             medians[n], float(np.percentile(runs, 90)) if runs else float("nan"), per_drawing, seconds,
                             rss, *cores))
                replayed = sum(r.get("replayed", 0) for r in results)
                crowd_medians[n] = wire_median(results)
                print(f"{n} sessions: {len(runs)} drawings timed" + (f" ({replayed} replayed beside them)" if replayed else "")
                      + f", final median {medians[n]:.0f} ms (the crowd's, message to run's end: {crowd_medians[n]:.0f} ms)"
                      + f", RSS {rss:.0f} MB", flush=True)
                if lost or errors:
                    failures.append(f"{n} sessions: {lost} lost drawings, {errors} errors")
                for context, _ in sessions:  # the next phase starts from fresh sessions
                    await context.close()
                await asyncio.sleep(2)
                if args.browse_share > 0 and recorded is not None and n > 1:
                    browsed.append(await browse_phase(browser, url, server.pid, n, models[used - n:used], digits,
                                                      args, recorded, walks))
                    if browsed[-1][4] or browsed[-1][5]:
                        failures.append(f"{n} sessions with browsing: {browsed[-1][4]} lost drawings or walks, "
                                        f"{browsed[-1][5]} errors")
            learned = None
            if args.learn:
                (sessions, results, _, _), learned = await learn_phase(
                    browser, url, server.pid, args.learn, models[used:used + args.learn], digits, args, recorded)
                runs = [w for r in results for w in r["runs"]]
                learned["median"] = statistics.median(runs) if runs else float("nan")
                learned["p90"] = float(np.percentile(runs, 90)) if runs else float("nan")
                learned["ends"] = sum(c for r in results for c in r["counts"])  # script runs the page saw end
                learned["wire"] = wire_median(results)
                lost, errors = sum(r["lost"] for r in results), sum(r["errors"] for r in results)
                if lost or errors:
                    failures.append(f"Learn phase's drawers: {lost} lost drawings, {errors} errors")
                print(f"Learn phase: {len(runs)} drawings timed, drawers' final median {learned['median']:.0f} ms "
                      f"(the crowd's, message to run's end: {learned['wire']:.0f} ms), "
                      f"p90 {learned['p90']:.0f} ms, {learned['ends']} run ends seen, RSS {rss_mb(server.pid):.0f} MB",
                      flush=True)
                for context, _ in sessions:
                    await context.close()
            await browser.close()
        peak = rss_mb(server.pid, "VmHWM")
        returned = []
        for wait in args.memory_returns:  # seconds after the last session closed
            await asyncio.sleep(wait - (returned[-1][0] if returned else 0))
            returned.append((wait, rss_mb(server.pid)))
    finally:
        stop(server)
    own = "each holding its own" if every == 1 else (f"one in {every} holding its own" if every else "none with its own")
    print(f"one server, sessions drawing {args.digits} digits each at once, {own} 784-512-10 model, the rest the shipped one")
    if args.crowd == "wire":
        print("beyond 1 session: one Chromium page draws the single session's digits again while the others, "
              "without a browser, replay its recorded drawings (harness/wire.py); the medians are that page's")
    print(f"pace: a mouse move at most every {args.move_ms:g} ms, {args.look_s:g} s looking at each answer")
    print(f"server RSS before any session: {base:.0f} MB")
    print("pen-up to: 'shown' the last change of the Prediction; 'final' the end of the last script run (ms)")
    print("'runs': script runs that ended per drawing (the moving pen's, and one per pen-up of each stroke)")
    print(f"'CPU': cores busy while drawing, the server's and the browsers' (Chromium, Playwright, this script), "
          f"of the machine's {os.cpu_count()}")
    print("sessions  drawings  lost  errors  shown median  final median  final p90  runs  phase s  RSS after MB"
          "  CPU server  CPU browsers")
    for n, k, lost, errors, shown, med, p90, n_runs, seconds, rss, server_cores, browser_cores in rows:
        print(f"{n:8d}  {k:8d}  {lost:4d}  {errors:6d}  {shown:12.0f}  {med:12.0f}  {p90:9.0f}  {n_runs:4.1f}  {seconds:7.1f}"
              f"  {rss:12.0f}  {server_cores:10.2f}  {browser_cores:12.2f}")
    print(f"server peak RSS (VmHWM): {peak:.0f} MB")
    print_browsing(rows, browsed, args.browse_share, args.look_s)
    ok = not failures
    for line in failures:
        print("FAIL", line)
    for wait, rss in returned:
        verdict = "PASS" if rss <= first_visitor * (1 + args.return_share) else "FAIL"
        ok &= verdict == "PASS"
        print(f"{verdict} memory returns: RSS {rss:.0f} MB {wait:g} s after the last session closed, against "
              f"{first_visitor:.0f} MB after the first phase (bar +{args.return_share:.0%})")
    if 1 in medians and 8 in medians:
        ratio = medians[8] / max(medians[1], 1.0)  # a 0 ms single median (answer before pen-up) counts as 1 ms
        verdict = "PASS" if ratio <= MAX_RATIO else "FAIL"
        ok &= verdict == "PASS"
        print(f"{verdict} median under 8 sessions / single session: {medians[8]:.0f} / {medians[1]:.0f} ms = "
              f"{ratio:.2f} (bar {MAX_RATIO:g})")
    if 20 in medians:
        verdict = "PASS" if peak <= MAX_RSS_MB else "FAIL"
        ok &= verdict == "PASS"
        print(f"{verdict} peak RSS with 20 sessions {peak:.0f} MB (bar {MAX_RSS_MB} MB)")
    if learned is not None:
        lines, passed = learn_report(learned, learned["median"], medians.get(args.learn), peak)
        if args.learn in crowd_medians:  # the same, as the sessions without a browser timed their answers
            ratio = learned["wire"] / max(crowd_medians[args.learn], 1.0)
            lines.append(f"{'PASS' if ratio <= MAX_LEARN_RATIO else 'FAIL'} the crowd's median with the trainings / "
                         f"without: {learned['wire']:.0f} / {crowd_medians[args.learn]:.0f} ms = {ratio:.2f} "
                         f"(bar {MAX_LEARN_RATIO:g})")
            passed &= ratio <= MAX_LEARN_RATIO
        print("\n".join(lines))
        ok &= passed
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--digits", type=int, default=5, help="digits each session draws in a phase")
    ap.add_argument("--phases", type=int, nargs="+", default=[1, 8, 20], help="sessions drawing at once, per phase")
    ap.add_argument("--move-ms", type=float, default=40, help="least time between two mouse moves (0: at once)")
    ap.add_argument("--crowd", choices=["browsers", "wire"], default="browsers",
                    help="the other sessions of a phase: Chromium pages, or sessions without a browser that replay "
                         "the single session's drawings (harness/wire.py); then one page draws among them")
    ap.add_argument("--look-s", type=float, default=2, help="pause after each answer before Clear")
    ap.add_argument("--own-share", type=float, default=1.0,
                    help="share of the sessions that upload a model of their own (1: all; 0.1: one in ten; 0: none)")
    ap.add_argument("--memory-returns", type=float, nargs="*", default=[], metavar="S",
                    help="read the server's RSS this many seconds after the last session closed (ascending)")
    ap.add_argument("--return-share", type=float, default=RETURN_SHARE,
                    help="how much above the first phase's memory counts as returned")
    ap.add_argument("--browse-share", type=float, default=0,
                    help="with --crowd wire: run each phase beyond the first again, with this share of the sessions "
                         "without a browser walking through the Weights and Test set pages instead of drawing")
    ap.add_argument("--session-ttl", type=int, help="seconds the server keeps a closed session (Streamlit's default: 120)")
    ap.add_argument("--learn", type=int, default=0, metavar="N",
                    help="after the phases, N sessions press Start on the Learn page at once while N others draw "
                         "(needs --crowd wire; a phase of N in --phases gives the drawers' median without them)")
    ap.add_argument("--learn-hidden", default="64", help="the Learn phase's hidden sizes, as typed on the page")
    ap.add_argument("--learn-epochs", type=int, default=1, help="the Learn phase's epochs (the page's smallest: 1)")
    ap.add_argument("--cold", type=int, default=0, metavar="N",
                    help="instead of the phases: N visitors without a browser arrive at a server that has just "
                         "started, within --cold-within s, each replaying one drawing a browser recorded on another")
    ap.add_argument("--cold-within", type=float, default=10, help="seconds over which the cold visitors arrive")
    args = ap.parse_args()
    if args.cold:
        return asyncio.run(cold_async(args))
    if args.learn and args.crowd != "wire":
        ap.error("--learn replays the single session's drawings beside the trainings: it needs --crowd wire")
    if args.crowd == "wire" and args.phases[0] != 1:
        ap.error("--crowd wire replays the single session's drawings: the phases must start with 1")
    if args.browse_share and (args.crowd != "wire" or not 0 < args.browse_share <= 1):
        ap.error("--browse-share takes a share in (0, 1] of the sessions without a browser: it needs --crowd wire")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
