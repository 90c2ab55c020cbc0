"""Router and frame: page config, the pages, and the sidebar's model status and upload."""
import streamlit as st

from views.session import model_sidebar

st.set_page_config(page_title="How a network reads a digit", page_icon="✏️", layout="wide")

pg = st.navigation([
    # Material icons come with Streamlit's own font; emoji need one on the visitor's machine
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/weights.py", title="Weights", icon=":material/grid_on:"),
    st.Page("pages/testset.py", title="Test set", icon=":material/fact_check:"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:"),
])
model_sidebar()  # after st.navigation: created before it, the first upload of a session is lost
pg.run()
