"""A visitor on the Learn page without a browser: sets a small network, presses Start, and polls as the page does.

The page's live view is a fragment that the browser reruns on a timer (`st.fragment(run_every=...)`): the
server says so in an `auto_rerun` message, and this session sends those reruns itself, as the browser would,
until the training has finished. It notes every queue position the page showed ("Waiting: 3 trainings
ahead of yours").
"""
from __future__ import annotations

import asyncio
import re
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from .wire import WireSession

AHEAD = re.compile(r"Waiting: (?:(\d+) trainings? ahead of yours|yours is next)")


class LearnSession(WireSession):
    """One Learn page over the websocket: `train` sets the hidden sizes and epochs, presses Start, and polls."""

    def __init__(self, url: str):
        super().__init__(url)
        self.widget_ids: dict[str, str] = {}  # label -> widget id, of the buttons and inputs the page showed
        self.fragment: str | None = None      # the live view's fragment, while the page asks to rerun it
        self.interval = 0.5
        self.aheads: list[int] = []           # every queue position shown, in order
        self.failed = ""                      # the page's error, if the training failed
        self.page_hash = ""                   # the Learn page's, once the app has named its pages

    def _take(self, msg: ForwardMsg) -> None:
        super()._take(msg)
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            self.page_hash = next((p.page_script_hash for p in msg.navigation.app_pages if p.url_pathname == "learn"),
                                  self.page_hash)
        elif kind == "auto_rerun":
            self.fragment, self.interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what in ("button", "text_input", "number_input"):
                widget = getattr(element, what)
                self.widget_ids[widget.label] = widget.id
            elif what == "alert":
                body = element.alert.body
                if (m := AHEAD.match(body)) is not None:
                    self.aheads.append(int(m.group(1) or 0))
                elif body.startswith("The training stopped with an error"):
                    self.failed = body

    def _rerun(self, values: dict, *, start: bool = False, fragment: str | None = None) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name, state.page_script_hash = "learn", self.page_hash  # a rerun the app asks for keeps the hash
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        for label, value in values.items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[label]
            if isinstance(value, str):
                widget.string_value = value
            else:
                widget.int_value = value
        if start:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = self.widget_ids["Start training"], True
        return msg.SerializeToString()

    async def open_learn(self, timeout: float = 120) -> None:
        """Open the app at its Learn page, as a visitor following a link to it does."""
        await self.open(self._rerun({}), timeout)

    async def train(self, hidden: str, epochs: int, timeout: float = 900) -> float:
        """Set the network, press Start, poll until the test accuracy shows (or an error): the seconds it took."""
        values = {"Hidden sizes": hidden, "Epochs": epochs}
        await self.send(self._rerun(values))
        begin = time.monotonic()
        await self.send(self._rerun(values, start=True))
        while "Test accuracy" not in self.metrics and not self.failed:
            if time.monotonic() - begin > timeout:
                raise TimeoutError(f"no test accuracy after {timeout:g} s")
            await asyncio.sleep(self.interval)
            await self.send(self._rerun(values, fragment=self.fragment))
        return time.monotonic() - begin
