"""Router and frame: page config, the pages, and the sidebar's model status and upload."""
import streamlit as st

from views.links import apply_link, write_link
from views.session import model_sidebar

st.set_page_config(page_title="How a network reads a digit", page_icon="✏️", layout="wide")

pg = st.navigation([
    # Material icons come with Streamlit's own font; emoji need one on the visitor's machine
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/weights.py", title="Weights", icon=":material/grid_on:"),
    st.Page("pages/testset.py", title="Test set", icon=":material/fact_check:"),
])
apply_link(pg.url_path)  # a shared link's selections, before the page's widgets are made
model_sidebar()  # after st.navigation: created before it, the first upload of a session is lost
pg.run()
write_link(pg.url_path)  # the page's selections into the URL, to share
