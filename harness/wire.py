"""Sessions without a browser: Streamlit's own websocket protocol, replaying what a real browser sent.

On one 2-core machine, 8 Chromium pages drawing at a person's pace need more CPU than the machine has
(1.2-1.4 s of Chromium CPU per digit against 0.2-0.3 s of the server's), so `benchmarks/class_load.py` with 8 browsers
measures the browsers as much as the server. A visitor's browser runs on the visitor's own machine.
These sessions stand in for the rest of the class at almost no CPU of their own: each opens the app
over `/_stcore/stream` as a browser does, uploads its own model as the page's uploader does, and then
replays the messages a real Chromium page sent while drawing (`Recorder`), each one only after the
server has finished the run of the one before, as the live canvas waits for its answer. Each answers the
app's browser store (mnistapp/keep.js) as an empty store does: its index once, and every write as done,
so the server drops what it holds for the store as it does for a browser.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import io
import json
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.web.server.starlette.starlette_server_config import XSRF_COOKIE_NAME
from websockets.asyncio.client import connect

from mnistapp.paths import SHIPPED_MODEL
from mnistcore import load_params


class Recorder:
    """Keeps every message a Playwright page sends over its websockets, with the time it was sent."""

    def __init__(self, page):
        self.sent: list[tuple[float, bytes]] = []
        page.on("websocket", lambda ws: ws.on("framesent", self._keep))

    def _keep(self, payload) -> None:
        if isinstance(payload, bytes):
            self.sent.append((time.monotonic(), payload))

    def mark(self) -> tuple[int, float]:
        return len(self.sent), time.monotonic()

    def between(self, start: tuple[int, float], end: tuple[int, float]) -> list[tuple[float, bytes]]:
        """The messages sent from mark `start` to mark `end`, each with its time after `start`."""
        return [(t - start[1], m) for t, m in self.sent[start[0]:end[0]]]


def is_rerun(message: bytes) -> bool:
    return BackMsg.FromString(message).WhichOneof("type") == "rerun_script"


class WireSession:
    """One Streamlit session over the websocket, as a browser tab holds it, with no page to draw."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.session_id: str | None = None
        self.uploader_id: str | None = None  # the sidebar uploader's widget id, from its element
        self.errors = 0                      # exception elements the app sent
        self.texts: list[str] = []           # the markdown and alert bodies of the last run
        self.metrics: dict[str, str] = {}    # label -> value of every metric shown, the latest of each
        self.runs = 0                        # script runs that ended
        self.waits: list[float] = []         # per rerun sent: seconds until the server had finished its run
        self._idle = asyncio.Event()
        self._files = asyncio.Queue()
        self._ws = None
        self._last_rerun: bytes | None = None  # the widget states the page holds, as its last rerun sent them
        self._store: dict[str, dict] = {}      # the store elements' state, by element id, as keep.js sets it
        self._store_answers: set[str] = set()  # elements whose state changed since it was last sent
        self._store_session = None
        self.writes_done: set[str] = set()     # the ids of the writes answered as done
        self.writes_held: list[str] = []       # the writes the app's last store element still carried

    async def open(self, first: bytes, timeout: float = 120) -> None:
        """Connect as a page load does and send the page's first message (`first`, a recorded page load)."""
        jar = http.cookiejar.CookieJar()  # the XSRF cookie the health check sets, as for a page, for the upload
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(self.url + "/_stcore/health", timeout=60).read()
        self._xsrf = next((c.value for c in jar if c.name == XSRF_COOKIE_NAME), "")
        self._cookie = {"Cookie": f"{XSRF_COOKIE_NAME}={self._xsrf}"} if self._xsrf else {}
        self._ws = await connect(self.url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                 max_size=None, additional_headers=self._cookie, open_timeout=timeout)
        self._reader = asyncio.create_task(self._read())
        await self.send(first, timeout)

    async def _read(self) -> None:
        async for raw in self._ws:
            self._take(ForwardMsg.FromString(raw))

    def _take(self, msg: ForwardMsg) -> None:
        """Keep what the benchmark reads from one message of the server's."""
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self.texts = []
        elif kind == "session_status_changed":
            if msg.session_status_changed.script_is_running:
                self._idle.clear()
            else:
                self.runs += 1
                self._idle.set()
        elif kind == "file_urls_response":
            self._files.put_nowait(msg.file_urls_response)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                self.errors += 1
            elif what == "file_uploader" and "-model.upload." in element.file_uploader.id:
                self.uploader_id = element.file_uploader.id
            elif what == "metric":
                self.metrics[element.metric.label] = element.metric.body
            elif what in ("markdown", "alert"):
                self.texts.append(getattr(element, what).body)
            elif what == "bidi_component" and element.bidi_component.component_name.endswith("mnist.keep"):
                self._store_element(element.bidi_component.id, element.bidi_component.json)

    def _store_element(self, element_id: str, data_json: str) -> None:
        """What keep.js would answer to this element's data: the (empty) index for a new session token, and
        "done" for writes it has not done yet."""
        data = json.loads(data_json or "{}") or {}
        state = self._store.setdefault(element_id, {})
        if data.get("session") and data["session"] != self._store_session:
            self._store_session = data["session"]
            state["index"] = {"session": data["session"], "items": {}, "files": [], "error": None}
            self._store_answers.add(element_id)
        if "ops" in data:
            self.writes_held = [op["id"] for op in data["ops"] or []]
        ids = [i for i in self.writes_held if i not in self.writes_done]
        if ids:
            self.writes_done.update(ids)
            state["done"] = {"ids": ids, "error": None}
            self._store_answers.add(element_id)

    async def _answer_store(self, timeout: float) -> None:
        """Send the store's answers with the page's widget states, as a rerun, and wait for its run."""
        while self._store_answers and self._last_rerun is not None:
            message = BackMsg.FromString(self._last_rerun)
            widgets = message.rerun_script.widget_states.widgets
            for element_id in list(self._store_answers):
                self._store_answers.discard(element_id)
                for old in [w for w in widgets if w.id == element_id]:
                    widgets.remove(old)
                widget = widgets.add()
                widget.id, widget.json_value = element_id, json.dumps(self._store[element_id])
            await self.send(message.SerializeToString(), timeout, store_answer=True)

    async def send(self, message: bytes, timeout: float = 120, store_answer: bool = False) -> None:
        """Send one message; for a rerun, wait until the server has finished running the script (timed in
        `waits`, unless it is the store's answer), then send what the browser store answers to that run."""
        rerun = is_rerun(message)
        self._idle.clear()
        sent = time.monotonic()
        await self._ws.send(message)
        if rerun:
            if not store_answer:
                self._last_rerun = message
            await asyncio.wait_for(self._idle.wait(), timeout)
            if not store_answer:
                self.waits.append(time.monotonic() - sent)
            await asyncio.sleep(0.05)  # a run that follows at once (a rerun the app asks for) is waited for too
            await asyncio.wait_for(self._idle.wait(), timeout)
            if not store_answer:
                await self._answer_store(timeout)

    async def upload(self, path: Path, timeout: float = 120) -> None:
        """Upload a model as the sidebar's uploader does, and wait until the app says it is in use."""
        request = BackMsg()
        request.file_urls_request.request_id = uuid.uuid4().hex
        request.file_urls_request.session_id = self.session_id
        request.file_urls_request.file_names.append(path.name)
        await self._ws.send(request.SerializeToString())
        urls = (await asyncio.wait_for(self._files.get(), timeout)).file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, path)
        state = BackMsg()
        widget = state.rerun_script.widget_states.widgets.add()
        widget.id = self.uploader_id
        info = widget.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = path.name, path.stat().st_size, urls.file_id
        info.file_urls.CopyFrom(urls)
        await self.send(state.SerializeToString(), timeout)
        if not any(f"{path.name} is now in use" in t for t in self.texts):
            raise RuntimeError(f"the app did not take {path.name}: {self.texts}")

    def _put(self, upload_url: str, path: Path) -> None:
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
            f"\r\n--{boundary}--\r\n".encode()
        url = upload_url if upload_url.startswith("http") else self.url + "/" + upload_url.lstrip("/")
        req = urllib.request.Request(url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self._xsrf, **self._cookie})
        urllib.request.urlopen(req, timeout=60).read()

    async def replay(self, drawings: list[list[tuple[float, bytes]]], stop: asyncio.Event) -> int:
        """Send each drawing's recorded messages on their recorded clock, in turn, again and again until
        `stop`; a message waits for the run of the one before it to finish. Returns the drawings sent."""
        done = 0
        while not stop.is_set():
            for messages in drawings:
                start = time.monotonic()
                for after, message in messages:
                    await asyncio.sleep(max(0.0, start + after - time.monotonic()))
                    await self.send(message)
                done += 1
                if stop.is_set():
                    break
        return done

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._reader.cancel()


def session_model(folder: Path, seed: int) -> Path:
    """A 784-512-10 model of the session's own: the shipped weights plus a little noise, as .npz."""
    params = load_params(SHIPPED_MODEL)
    rng = np.random.default_rng(seed)
    arrays = {}
    for l, (W, b) in enumerate(zip(params.Ws, params.bs), start=1):
        arrays[f"W{l}"] = W + rng.normal(0, 0.01, W.shape).astype(np.float32)
        arrays[f"b{l}"] = b
    f = io.BytesIO()
    np.savez(f, **arrays)
    path = folder / f"session{seed}.npz"
    path.write_bytes(f.getvalue())
    return path
