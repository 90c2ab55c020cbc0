"""Streamlit pieces several pages reuse: the model in use, the sidebar, the layer views. No maths."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from mnistcore import Forward, ModelFileError, Params, load_mnist, load_params
from mnistcore.explain import contributions, incoming_image, n_active
from mnistcore.figures import diverging_rgb, hidden_grid, png_bytes, softmax_bars

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "mnist_model.pth"

# Session keys several pages share.
USER_MODEL = "model.user_params"   # Params of an uploaded model, or absent
USER_MODEL_NAME = "model.user_name"
UPLOAD = "model.upload"


def route_through_app() -> None:
    """Call first in every page: make sure the page runs inside app.py's router.

    Streamlit 1.67 treats a `pages/` folder as a legacy multipage app until app.py's st.navigation
    has run once on the server, so the first visitor of a fresh server who opens /weights directly
    would get that page alone, without the sidebar or the layout. Rerun through app.py instead.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner="Loading the model…")
def shipped_model() -> tuple[Params, dict]:
    """The shipped model and its model card, loaded once per server and never changed."""
    card_path = SHIPPED_MODEL.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    return load_params(SHIPPED_MODEL), card


@st.cache_resource(show_spinner="Reading the MNIST test set…")
def test_set():
    """(images (10000, 28, 28) uint8, labels (10000,) uint8), read and verified once per server."""
    return load_mnist("test")


def current_params() -> Params:
    """The session's own model if the user uploaded one, else the shipped model."""
    return st.session_state.get(USER_MODEL) or shipped_model()[0]


@st.cache_data(max_entries=4096)
def incoming_png(digest: str, _params: Params, unit: int) -> bytes:
    """Unit `unit`'s incoming weights as a 84x84 PNG, encoded once per model and unit."""
    return png_bytes(diverging_rgb(incoming_image(_params, unit), scale=3))


def _on_upload() -> None:
    file = st.session_state.get(UPLOAD)
    if file is None:
        return
    try:
        st.session_state[USER_MODEL] = load_params(file.getvalue())
        st.session_state[USER_MODEL_NAME] = file.name
        st.session_state.pop("model.upload_error", None)
    except ModelFileError as e:
        st.session_state["model.upload_error"] = f"{file.name}: {e}"


def model_sidebar() -> None:
    """Which model is loaded (with its test accuracy), an upload box, and a way back to the shipped one."""
    params, card = shipped_model()
    with st.sidebar:
        st.subheader("Model")
        user = st.session_state.get(USER_MODEL)
        if user is None:
            acc = card.get("test_accuracy")
            st.markdown(f"**Shipped model** · {'–'.join(map(str, params.sizes))}  \n"
                        + (f"{acc:.2%} on the 10,000 MNIST test images" if acc is not None else ""))
        else:
            st.markdown(f"**Your model** `{st.session_state[USER_MODEL_NAME]}` · {'–'.join(map(str, user.sizes))}")
            if st.button("Back to the shipped model"):
                for key in (USER_MODEL, USER_MODEL_NAME):
                    st.session_state.pop(key, None)
                st.rerun()
        st.file_uploader("Try your own model", type=["pth", "pt", "safetensors", "npz"], key=UPLOAD,
                         on_change=_on_upload,
                         help="A PyTorch state_dict of Linear layers, 784 inputs and 10 outputs "
                              "(torch.save(model.state_dict(), 'model.pth')), .safetensors or .npz.")
        if "model.upload_error" in st.session_state:
            st.error(st.session_state["model.upload_error"])


def prediction_views(params: Params, fwd: Forward, *, true_label: int | None = None, row: int = 0,
                     key: str = "") -> None:
    """The softmax bars with logits, every hidden layer's activations, and the units that push the winner."""
    probs, logits = fwd.probs[row], fwd.logits[row]
    winner = int(probs.argmax())
    st.plotly_chart(softmax_bars(probs, logits, winner=winner, true_label=true_label),
                    config={"displayModeBar": False}, key=f"{key}.bars")
    for layer in range(1, len(fwd.activations)):
        st.caption(f"Hidden layer {layer}: {n_active(fwd, layer, row)} of {fwd.activations[layer].shape[1]} "
                   "units active (a = ReLU(z) > 0). Hover a cell for its unit, z and a.")
        st.plotly_chart(hidden_grid(fwd.zs[layer - 1][row], fwd.activations[layer][row], title=f"a{layer}"),
                        config={"displayModeBar": False}, key=f"{key}.hidden{layer}")
    top = contributions(params, fwd, winner, row=row)
    if top:
        st.markdown(f"**Units that push {winner} up the most** (a_j · W{len(params.Ws)}[j, {winner}])")
        cols = st.columns(len(top))
        first_layer = len(params.Ws) == 2
        for col, c in zip(cols, top):
            with col:
                if first_layer:
                    st.image(incoming_png(params.digest, params, c.unit), width="stretch")
                st.caption(f"unit {c.unit}  \n+{c.push:.2f} = {c.activation:.2f} × {c.weight:.2f}")
        if first_layer:
            st.caption("Each tile is a unit's 784 incoming weights W1[:, j] as a 28×28 image: "
                       "red pixels excite it, blue ones inhibit it.")
