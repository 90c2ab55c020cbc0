"""Every error message the engine (and the app's upload sandbox and store) can raise is shown in German to a
German visitor: a pattern in mnistapp/engine_errors.py matches it and its translation keeps the message's values.

The first test reads the source: each `ModelFileError(...)` and `ImageFileError(...)` whose message is a string
or an f-string becomes an example message, its f-string values filled with tokens. The others load bad files
built here and check the German the app would show."""
from __future__ import annotations

import ast
import collections
import importlib
import io
import os
import pickle
import re
from itertools import count

import hostile_files as H
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistapp.catalogue import error_text
from mnistapp.engine_errors import ENGINE_ERRORS, PHRASES
from mnistapp.paths import ROOT
from mnistapp.sandbox import MAX_HIDDEN_LAYERS, check_served_size
from mnistcore import ModelFileError, Params, load_params
from mnistcore.evaluate import evaluate_model
from mnistcore.preprocess import card_scaling
from mnistcore.torchfile import _refuse, shown

ERRORS = {"ModelFileError", "ImageFileError"}
PASSED_ON = {"header['refused']"}  # the sandbox's child sends a load_params message, matched as it is
ENGLISH = re.compile(r"\b(the|this|is|not|of|and|with|a)\b", re.IGNORECASE)  # words no German message has


class Hole(str):
    """A value the f-string computes (its source text): the example fills in a token, the same for the same text."""


def german(message: str) -> str:
    return error_text(message, "de", ENGINE_ERRORS, PHRASES)


def assert_shown_in_german(message: str, values=()) -> str:
    """The German a German visitor reads for `message`: translated, no English left, `values` kept."""
    shown = german(message)
    assert shown != message, f"no pattern in mnistapp/engine_errors.py matches: {message!r}"
    rest = shown
    for value in values:
        assert value in shown, (value, shown)
        rest = rest.replace(value, "")
    assert not ENGLISH.search(rest), shown
    return shown


def _texts(node, scope, module, seen=frozenset()) -> list[list]:
    """The messages an expression can give, each a list of literal strings and Holes."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [[node.value]]
    if isinstance(node, ast.JoinedStr):
        out = [[]]
        for part in node.values:
            plain = isinstance(part, ast.Constant) or (part.conversion == -1 and part.format_spec is None)
            alts = (_texts(part, scope, module, seen) if isinstance(part, ast.Constant)
                    else _texts(part.value, scope, module, seen) if plain else [[Hole(ast.unparse(part))]])
            out = [a + b for a in out for b in alts]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _texts(node.left, scope, module, seen) for b in _texts(node.right, scope, module, seen)]
    if isinstance(node, ast.IfExp):
        return _texts(node.body, scope, module, seen) + _texts(node.orelse, scope, module, seen)
    if isinstance(node, ast.Name) and node.id not in seen:
        if isinstance(getattr(module, node.id, None), str):  # a module's constant, like SAVE_ADVICE
            return [[getattr(module, node.id)]]
        assigned = [a.value for a in ast.walk(scope) if isinstance(a, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        if len(assigned) == 1:  # a local message, like too_big
            return _texts(assigned[0], scope, module, seen | {node.id})
    return [[Hole(ast.unparse(node))]]


def _messages_in_source():
    """(where, the error's argument, its messages) for every ModelFileError/ImageFileError raised in mnistcore
    and mnistapp; a message built by a function of the module (model_file_advice) counts as its returns."""
    for path in sorted([*(ROOT / "mnistcore").rglob("*.py"), *(ROOT / "mnistapp").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        module = None
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ERRORS
                    and call.args):
                continue
            module = module or importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            scope = call
            while scope in parents and not isinstance(scope, ast.FunctionDef):
                scope = parents[scope]
            arg = call.args[0]
            if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in functions:
                f = functions[arg.func.id]
                texts = [t for r in ast.walk(f) if isinstance(r, ast.Return) and r.value is not None
                         for t in _texts(r.value, f, module)]
            else:
                texts = _texts(arg, scope, module)
            yield f"{path.relative_to(ROOT)}:{call.lineno} {ast.unparse(arg)}", ast.unparse(arg), texts


SOURCE_MESSAGES = list(_messages_in_source())


def _example(parts: list, tokens) -> tuple[str, list[str]]:
    """The message with a token for each value, and the tokens."""
    token = {p: next(tokens) for p in parts if isinstance(p, Hole)}
    return "".join(token.get(p, p) if isinstance(p, Hole) else p for p in parts), list(token.values())


def test_the_source_walk_finds_the_loaders_and_the_photo_readers_messages():
    files = {where.split(":")[0] for where, _, _ in SOURCE_MESSAGES}
    assert {"mnistcore/load.py", "mnistcore/torchfile.py", "mnistcore/photo.py", "mnistcore/preprocess.py",
            "mnistapp/sandbox.py", "mnistapp/keep.py"} <= files
    assert len(SOURCE_MESSAGES) > len(files)


@pytest.mark.parametrize("where, arg, texts", SOURCE_MESSAGES, ids=[w for w, _, _ in SOURCE_MESSAGES])
def test_every_error_the_source_raises_has_a_german_pattern(where, arg, texts):
    tokens = (f"Qz{i}x" for i in count())
    examples = [_example(parts, tokens) for parts in texts if not all(isinstance(p, Hole) for p in parts)]
    if not examples:  # the whole message comes from elsewhere
        assert arg in PASSED_ON, f"{where}: a message the test cannot read; build it from strings or list it"
        return
    for message, filled in examples:
        assert_shown_in_german(message, filled)


def test_every_refusal_of_a_pickle_fills_its_message_in_german():
    tree = ast.parse((ROOT / "mnistcore" / "torchfile.py").read_text(encoding="utf-8"))
    import mnistcore.torchfile as module
    refusals = [c.args[0] for c in ast.walk(tree)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "_refuse"]
    assert len(refusals) > 10
    tokens = (f"{n:,}" for n in count(1007, 1000))  # numbers as the engine writes them: 1,007
    for arg in refusals:
        for parts in _texts(arg, tree, module):
            phrase, filled = _example(parts, tokens)
            shown = assert_shown_in_german(str(_refuse(phrase)))
            assert phrase not in shown
            for value in filled:
                assert value.replace(",", ".") in shown, (value, shown)


SLOW = {"900,000 tensors", "deflate bomb storage, size lies", "deflate bomb storage, size true",
        "npz deflate bomb, size lies", "npz deflate bomb, size true"}  # over 0.5 s each: the same messages as others


def refusal(data) -> str:
    with pytest.raises(ModelFileError) as refused:
        load_params(data)
    return str(refused.value)


def npz_file(**arrays) -> bytes:
    f = io.BytesIO()
    np.savez(f, **arrays)
    return f.getvalue()


def mlp(*sizes, nan=False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        arrays[f"W{l}"], arrays[f"b{l}"] = rng.normal(size=(n_in, n_out)), np.zeros(n_out)
    if nan:
        arrays["W1"][3, 2] = np.nan
    return arrays


@pytest.mark.parametrize("name", [n for n, (_, _, want) in H.CASES.items() if want and n not in SLOW])
def test_a_hostile_files_refusal_reads_in_german_with_its_numbers(name):
    message = refusal(H.CASES[name][1]())
    shown = assert_shown_in_german(message)
    numbers = [n.replace(",", ".") for n in re.findall(r"\d[\d,]*\d|\d", message)]
    assert all(n in shown for n in numbers), (numbers, shown)


@pytest.mark.parametrize("data, values", [
    (b"\x89PNG\r\n\x1a\n" + bytes(40), ["ein PNG-Bild"]),
    (b"\xff\xd8\xff\xe0" + bytes(40), ["ein JPEG-Bild"]),
    (b"GIF89a" + bytes(40), ["ein GIF-Bild"]),
    (b"%PDF-1.7\n" + bytes(40), ["ein PDF-Dokument"]),
    (b"W1,b1\n0.5,0.25\n", ["eine Textdatei"]),
    (bytes(range(1, 9)) * 5, []),
    (b"", []),
    (pickle.dumps({"W1": 1}, protocol=2), []),
    (H.torch_zip(pickle.dumps(collections.Counter(), protocol=2)), ["collections.Counter"]),
    (H.torch_zip(pickle.dumps(os.getcwd, protocol=2)), ["getcwd"]),
    (H.torch_zip(pickle.dumps({}, protocol=2)), ["(sie enthält nichts)"]),
    (H.torch_zip(pickle.dumps({"epoch": 3, "lr": 0.1}, protocol=2)), ["(sie enthält epoch, lr)"]),
    (npz_file(**mlp(100, 4, 10)), ["Schicht 1 (W1) erwartet 100 Eingänge", "784"]),
    (npz_file(**mlp(784, 4, 7)), ["(W2)", "7 Ausgänge"]),
    (npz_file(**{**mlp(784, 4, 10), "b1": np.zeros(5)}), ["b1", "W1", "4 Ausgänge"]),
    (npz_file(**{**mlp(784, 4, 10), "W2": np.zeros((5, 10))}), ["W2", "W1", "5", "4"]),
    (npz_file(**mlp(784, 4, 10, nan=True)), ["W1 enthält NaN"]),
    (npz_file(**{**mlp(784, 4, 10), "W1": np.zeros((784, 1, 2, 2))}), ["W1", "784x1x2x2"]),
    (npz_file(**{**mlp(784, 4, 10), "W1": np.zeros((784, 0))}), ["W1", "784x0"]),
    (npz_file(**{**mlp(784, 4, 10), "x": np.zeros(1)}), ["W1, W2, b1, b2, x"]),
    (npz_file(**{**mlp(784, 4, 10), "W1": np.zeros((784, 4), dtype="<U1")}), ["W1", "<U1"]),
], ids=count())
def test_a_bad_model_file_reads_in_german(data, values):
    assert_shown_in_german(refusal(data), values)


def test_paths_cards_and_deep_networks_read_in_german(tmp_path):
    for source, values in [(tmp_path / "missing.pth", [shown(str(tmp_path / "missing.pth"), 80)]),
                           ("a\0b.pth", ["a\\x00b.pth", "kein gültiger Pfad"]), (io.StringIO("W1"), []), (3, ["int"])]:
        assert_shown_in_german(refusal(source), values)
    for path, what in [(tmp_path, "ist ein Ordner"), (tmp_path / "none.pth", "gibt es nicht")]:
        with pytest.raises(ModelFileError) as refused:
            evaluate_model(path, tmp_path)
        assert what in assert_shown_in_german(str(refused.value), [str(path)])
    with pytest.raises(ModelFileError) as card:
        card_scaling({"input_scaling": "inches"})
    assert '{"mean": 0.1307, "std": 0.3081}' in assert_shown_in_german(str(card.value), ["Modellkarte"])
    deep = MAX_HIDDEN_LAYERS + 1
    params = Params(Ws=tuple(np.zeros((3, 3), np.float32) for _ in range(deep + 1)),
                    bs=tuple(np.zeros(3, np.float32) for _ in range(deep + 1)))
    with pytest.raises(ModelFileError) as too_deep:
        check_served_size(params)
    assert_shown_in_german(str(too_deep.value), [f"{deep} verborgene Schichten", str(MAX_HIDDEN_LAYERS)])


UPLOAD_PAGE = """
from mnistapp.i18n import language_selector
from mnistapp.sidebar import model_sidebar
language_selector()
model_sidebar()
"""


def test_a_german_visitors_bad_upload_and_card_are_refused_in_german():
    at = AppTest.from_string(UPLOAD_PAGE, default_timeout=30)
    at.query_params["lang"] = "de"
    at.run()
    at.file_uploader[0].set_value([
        ("karte.json", b'{"input_scaling": "inches"}', "application/json"),
        ("ziffer.pth", b"\x89PNG\r\n\x1a\n" + bytes(40), "application/octet-stream")]).run()
    assert not at.exception
    shown = at.sidebar.error[0].value
    assert "karte.json wurde nicht gelesen. Diese Modellkarte sagt nicht, wie das Modell" in shown
    assert "ziffer.pth wurde nicht geladen. Das ist ein PNG-Bild, keine Modelldatei." in shown
    assert not ENGLISH.search(shown.replace("input_scaling", "")), shown
