"""The Learn page without a browser: it opens on the engine's default settings, and its worked step
writes every quantity of the forward and backward pass."""
from streamlit.testing.v1 import AppTest

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.session import (
    LEARN_BATCH,
    LEARN_CHECK,
    LEARN_EPOCHS,
    LEARN_HIDDEN,
    LEARN_IMAGE,
    LEARN_LR,
    LEARN_OPTIMIZER,
    LEARN_SEED,
)
from mnistapp.worked import LR
from mnistcore import Settings, load_mnist, load_params
from mnistcore.explain.backprop import default_picks, worked_step
from mnistcore.preprocess import scale_uint8


def test_the_learn_page_opens_on_the_engines_defaults_and_works_a_step():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception, at.exception
    s = at.session_state
    default = Settings()
    assert (s[LEARN_HIDDEN], s[LEARN_OPTIMIZER], s[LEARN_LR], s[LEARN_BATCH], s[LEARN_EPOCHS], s[LEARN_SEED]) == (
        "512", default.optimizer, default.lr, default.batch, default.epochs, default.seed)
    assert [b.label for b in at.main.button] == ["Start training"]  # the sidebar has its own
    tex = " ".join(l.value for l in at.latex)
    for name in ("z_1", "a_1", "z_2", "softmax", "L = -\\log", "onehot", "W_2^\\top", "x^\\top", "\\leftarrow"):
        assert name in tex, name
    assert len(at.table) == 1  # the gradient check


def test_hidden_sizes_that_are_not_numbers_are_explained_and_start_is_off():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/learn.py").run()
    at.text_input(key=LEARN_HIDDEN).set_value("512, lots").run()
    assert any("Hidden sizes" in e.value for e in at.error)
    assert at.button[0].disabled


def test_the_gradient_check_starts_from_each_new_images_own_weights():
    """Another image's picks can all be zero (a hidden unit this image leaves off): a new image gets its own."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/learn.py").run()
    at.number_input(key=LEARN_IMAGE).set_value(2).run()
    assert not at.exception, at.exception
    images, labels = load_mnist("test", DATA_DIR)
    step = worked_step(load_params(SHIPPED_MODEL), scale_uint8(images[2:3]), int(labels[2]), LR)
    assert at.session_state[LEARN_CHECK] == ("test image 2", default_picks(step, int(labels[2])))
    backprop = [float(row) for row in at.table[0].value["backprop ∂L/∂w"]]
    assert all(b != 0 for b in backprop), backprop
