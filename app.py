"""Router and frame: page config, the pages, and the sidebar's model status and upload."""
import streamlit as st
from threadpoolctl import threadpool_limits

from views.session import model_sidebar


@st.cache_resource
def one_blas_thread() -> None:
    """One BLAS thread for the whole server, set once. Its work is many small matrix products for many
    sessions at once, and OpenBLAS's own threads then only contend: on this 2-core machine under load,
    the canvas resize's (20x250) @ (250x200) took 32 ms with 2 threads and 0.12 ms with one."""
    threadpool_limits(1, user_api="blas")


one_blas_thread()

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
