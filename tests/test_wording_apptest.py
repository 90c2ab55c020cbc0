"""What the pages say and offer, without a browser: Teach it waits for the visitor's digit, the Draw page's
hint matches the source, and the Learn page promises no epoch time."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_draw_apptest import canvas_from_digit, png_data_url

from mnistapp.paths import DATA_DIR, ROOT
from mnistapp.session import DRAW_LIVE, DRAW_SOURCE, LEARN_TEACH_LABEL, LEARN_TEACH_RESULT, USER_MODEL
from mnistcore import load_mnist


def drawn_nine() -> AppTest:
    """The Draw page with a test set 9 drawn on the live canvas and "Teach it" open."""
    images, labels = load_mnist("test", DATA_DIR)
    nine = images[int(np.flatnonzero(labels == 9)[0])]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["draw.teach_open.remembered"] = True  # mnistapp/expanders.py: open when first shown
    at.run()
    at.session_state[DRAW_LIVE] = {"drawing": {"png": png_data_url(canvas_from_digit(nine)), "strokes": [[18, 1, 1]],
                                               "seq": 1}}
    at.run()
    assert not at.exception, at.exception
    return at


def test_teach_it_picks_no_digit_and_cannot_teach_until_one_is_picked():
    at = drawn_nine()
    label = at.selectbox(key=LEARN_TEACH_LABEL)
    teach = next(b for b in at.button if b.label == "Teach it")
    assert label.value is None                       # not "0": one click would teach the 9 to be a 0
    assert teach.disabled
    assert USER_MODEL not in at.session_state and LEARN_TEACH_RESULT not in at.session_state
    label.select(9).run()
    assert not next(b for b in at.button if b.label == "Teach it").disabled


@pytest.mark.parametrize("source", ["draw", "photo", "test"])
def test_the_draw_pages_hint_speaks_of_the_black_box_only_when_drawing(source):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[DRAW_SOURCE] = source
    at.run()
    assert not at.exception, at.exception
    words = " ".join([c.value for c in at.caption] + [m.value for m in at.markdown])
    assert ("black box" in words) == (source == "draw")


def test_the_learn_page_promises_no_epoch_time():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception, at.exception
    hint = next(i.value for i in at.info if "Start" in i.value)
    assert "second" not in hint and "measured" in hint
