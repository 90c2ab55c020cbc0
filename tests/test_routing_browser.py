"""A deep link is the first request a fresh server gets (the hosted demo wakes up on it): the page must
still run inside app.py's router, with the sidebar and the navigation."""
import pytest

from harness.server import free_port, start_streamlit, stop, wait_for_app_idle

pytestmark = pytest.mark.browser


def test_first_request_to_a_subpage_on_a_fresh_server_gets_the_whole_app(page):
    port = free_port()
    proc = start_streamlit(port)
    try:
        page.goto(f"http://127.0.0.1:{port}/testset")
        page.locator('[data-testid="stMetric"]').filter(has_text="Accuracy").first.wait_for(timeout=60000)
        wait_for_app_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    finally:
        stop(proc)
    assert "Shipped model" in sidebar          # app.py's sidebar ran
    assert "Draw" in sidebar and "shared" not in sidebar.lower()  # st.navigation's pages, not the folder's files
