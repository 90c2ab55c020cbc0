"""What the browser store (mnistapp/keep.py) keeps, for how long, and what it accepts back: pure functions of
the values and of `now` (seconds since the epoch), no Streamlit, so a test drives them with its own clock.

Whatever comes back from the browser is the visitor's to edit, so every value is checked here for its type
and size before anything reads it; a model's file is then read as an upload is (mnistapp/sandbox.py).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

EXPIRY_S = 24 * 3600           # what is kept is deleted a day after it was last saved
MAX_MODELS = 3                 # models kept per browser; the oldest goes first
MAX_MODEL_BYTES = 10 * 2**20   # their files together (.npz); the shipped 784-512-10 takes 1.6 MB
MAX_VALUE_CHARS = 400_000      # one small value as JSON: a drawing's PNG and strokes take ~20 kB
MAX_STROKE_NUMBERS = 40_000    # a drawing's strokes, numbers in all (a busy digit has ~2,000)
SKEW_S = 300                   # a value saved up to 5 minutes "in the future" is the clocks' difference
ID = re.compile(r"[0-9a-f]{32}")
KINDS = ("uploaded", "trained", "taught")
SOURCES = ("draw", "photo", "test")


@dataclass(frozen=True)
class ModelCard:
    """A kept model's card: its id in the browser store, how the sidebar names it, its input scaling."""
    id: str
    name: str
    kind: str
    mean: float
    std: float
    size: int        # bytes of its .npz file
    saved: float     # seconds since the epoch


def fresh(saved, now: float, expiry_s: float = EXPIRY_S) -> bool:
    """Was a value saved at `saved` still within its time at `now` (and not from the far future)?"""
    return _number(saved) and now - expiry_s <= saved <= now + SKEW_S


def to_delete(cards: list[ModelCard], now: float, *, max_models: int = MAX_MODELS,
              max_bytes: int = MAX_MODEL_BYTES) -> list[str]:
    """Ids of the models to delete: the expired ones, then the oldest until at most `max_models` are left
    whose files take at most `max_bytes` together."""
    gone = [c.id for c in cards if not fresh(c.saved, now)]
    left = sorted((c for c in cards if c.id not in gone), key=lambda c: c.saved, reverse=True)  # newest first
    kept, total = [], 0
    for c in left:
        if len(kept) < max_models and total + c.size <= max_bytes:
            kept.append(c.id)
            total += c.size
        else:
            gone.append(c.id)
    return gone


def model_card(value) -> ModelCard | None:
    """A stored card -> ModelCard, or None when it is not one (a wrong type, a length or a number out of range)."""
    if not isinstance(value, dict):
        return None
    ok = (isinstance(value.get("id"), str) and ID.fullmatch(value["id"])
          and isinstance(value.get("name"), str) and 0 < len(value["name"]) <= 200
          and value.get("kind") in KINDS
          and _number(value.get("mean")) and _number(value.get("std")) and value["std"] > 0
          and isinstance(value.get("size"), int) and 0 < value["size"] <= MAX_MODEL_BYTES
          and _number(value.get("saved")))
    if not ok:
        return None
    return ModelCard(value["id"], value["name"], value["kind"], float(value["mean"]), float(value["std"]),
                     value["size"], float(value["saved"]))


def drawing(value) -> dict | None:
    """A stored drawing -> {png, strokes, width, source, test_index, saved}, or None when it is not one.
    The PNG is checked again when it is decoded (mnistapp/live_canvas.py's drawing_rgba)."""
    if not isinstance(value, dict):
        return None
    strokes, png = value.get("strokes"), value.get("png")
    ok = (isinstance(strokes, list) and all(isinstance(s, list) and len(s) >= 3 for s in strokes)
          and sum(len(s) for s in strokes) <= MAX_STROKE_NUMBERS
          and all(_number(v) and 0 <= v <= 4096 for s in strokes for v in s)
          and (png is None or isinstance(png, str) and len(png) <= MAX_VALUE_CHARS)
          and isinstance(value.get("width"), int) and 8 <= value["width"] <= 32
          and value.get("source") in SOURCES
          and isinstance(value.get("test_index"), int) and 0 <= value["test_index"] < 10_000
          and _number(value.get("saved")))
    return {k: value[k] for k in ("png", "strokes", "width", "source", "test_index", "saved")} if ok else None


def model_id(value) -> str | None:
    """The id a stored "current" record names, or None (none named, or not an id)."""
    if isinstance(value, dict) and isinstance(value.get("id"), str) and ID.fullmatch(value["id"]):
        return value["id"]
    return None


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def training(value) -> dict | None:
    """A stored training record -> {name, sizes, epoch, epochs, size, saved}, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    sizes, epochs = value.get("sizes"), value.get("epochs")
    ok = (isinstance(value.get("name"), str) and 0 < len(value["name"]) <= 200
          and isinstance(sizes, list) and 2 <= len(sizes) <= 10 and all(isinstance(n, int) and 0 < n <= 4096 for n in sizes)
          and isinstance(epochs, int) and 1 <= epochs <= 100
          and isinstance(value.get("epoch"), int) and 1 <= value["epoch"] <= epochs
          and isinstance(value.get("size"), int) and 0 < value["size"] <= MAX_MODEL_BYTES
          and _number(value.get("saved")))
    return {k: value[k] for k in ("name", "sizes", "epoch", "epochs", "size", "saved")} if ok else None
