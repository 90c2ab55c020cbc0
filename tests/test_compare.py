"""Any model and two models compared, without a browser: a deeper model's units tab, the comparison on Draw and
Test set, and the sidebar's scaling choice."""

from streamlit.testing.v1 import AppTest

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.session import (
    USER_MODEL,
    USER_MODEL_NAME,
    USER_SCALING,
    WEIGHTS_INPUT_IMAGE,
    WEIGHTS_TAB,
    WEIGHTS_UNITS_LAYER,
)
from mnistcore import load_mnist, load_params
from mnistcore.evaluate import disagreements, evaluate, format_percent
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING
from reference import random_params

DEEP = (784, 256, 128, 64, 10)


def app_with(sizes, page, scaling=MNIST_SCALING):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.session_state[USER_MODEL] = random_params(sizes, 5)
    at.session_state[USER_MODEL_NAME] = "deep.pth"
    at.session_state[USER_SCALING] = scaling
    return at


def test_a_deeper_layers_units_are_tiles_of_effective_weights():
    at = app_with(DEEP, "pages/weights.py")
    at.session_state[WEIGHTS_TAB] = "W1 as images"
    at.session_state[WEIGHTS_UNITS_LAYER] = 3
    at.session_state[WEIGHTS_INPUT_IMAGE] = 7
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key=WEIGHTS_UNITS_LAYER).options == ["1 (256 units)", "2 (128 units)", "3 (64 units)"]
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and "64 units" in charts[0].proto.spec
    assert "test image #7" in " ".join(m.value for m in at.markdown)
    at.session_state[WEIGHTS_UNITS_LAYER] = 1  # layer 1: the W1 tiles and the unit's details, as for one layer
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) >= 2


def test_the_test_set_page_compares_with_the_shipped_model_and_uses_the_scaling():
    at = app_with((784, 32, 10), "pages/testset.py", scaling=UNIT_SCALING)
    at.run()
    assert not at.exception, at.exception
    images, labels = load_mnist("test", DATA_DIR)
    mine = evaluate(at.session_state[USER_MODEL], images, labels, scaling=UNIT_SCALING)
    shipped = evaluate(load_params(SHIPPED_MODEL), images, labels)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == format_percent(mine.accuracy)
    assert metrics["Accuracy of deep.pth"] == format_percent(mine.accuracy)
    assert metrics["Accuracy of the shipped model"] == format_percent(shipped.accuracy)
    assert metrics["Images where they disagree"] == f"{len(disagreements(mine, shipped)):,}"
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert f"{format_percent(mine.accuracy)} on the 10,000 MNIST test images" in sidebar
