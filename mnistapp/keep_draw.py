"""The Draw page's part of the browser store (mnistapp/keep.py): the drawing, the pen's width, the chosen
source and test image, kept as one value and put back when a new server session reads the store."""
from __future__ import annotations

import json
import time

import streamlit as st

from .keep import refuse
from .keep_rules import drawing, fresh
from .session import DRAW_CLASSIC, DRAW_RESTORE, DRAW_SAVED, DRAW_SOURCE, DRAW_STROKE_WIDTH, DRAW_TEST_INDEX, KEEP_DRAWING

NAME = "drawing"


def drawing_record() -> dict:
    """The drawing as it is kept: {png, strokes, width, source, test_index, saved}; `saved` moves only when the
    rest changes, so the writer (keep_latest) writes only then."""
    s = st.session_state
    saved = s.get(DRAW_SAVED) or {}
    record = {"png": saved.get("png"), "strokes": saved.get("strokes") or [],
              "width": int(s.get(DRAW_STROKE_WIDTH, 18)), "source": s.get(DRAW_SOURCE, "draw"),
              "test_index": int(s.get(DRAW_TEST_INDEX) or 0)}
    content = json.dumps(record)
    last = s.get(KEEP_DRAWING)
    if last is None or last[0] != content:
        last = s[KEEP_DRAWING] = (content, time.time())
    return {**record, "saved": last[1]}


def restore_drawing(items: dict, now: float) -> None:
    """Put the kept drawing back into the session, unless it is too old or the visitor already drew."""
    s = st.session_state
    record = drawing(items.get(NAME))
    if record is None and NAME in items:
        refuse(NAME)
    if record is None or not fresh(record["saved"], now) or s.get(DRAW_SAVED) or s.get(DRAW_CLASSIC):
        return  # the classic canvas keeps no drawing, and changing its pen width would clear it
    s[DRAW_SAVED] = {"png": record["png"], "strokes": record["strokes"], "seq": 0, "model": None}
    s[DRAW_STROKE_WIDTH] = record["width"]
    if s.get(DRAW_SOURCE, "draw") == "draw":  # a link's ?source=test or a photo chosen already wins over the kept one
        s[DRAW_SOURCE], s[DRAW_TEST_INDEX] = record["source"], record["test_index"]
    s[DRAW_RESTORE] = True
    s[KEEP_DRAWING] = (json.dumps({k: record[k] for k in ("png", "strokes", "width", "source", "test_index")}),
                       record["saved"])
