"""Uploading a model in the sidebar: a good one is used, a hostile or wrong one is refused in plain words."""
import io
import os
import urllib.request

import pytest
import torch

from conftest import loader_children, screenshot
from harness.server import free_port, metric_value, start_streamlit, stop, wait_for_app_idle
from mnistapp.sandbox import TEST_HOOK_ENV, TEST_HOOK_MARKER

pytestmark = pytest.mark.browser


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def upload(page, app_url, path):
    """Open the app and drop `path` (or a list of paths, all at once) on the sidebar's uploader."""
    page.goto(app_url)
    page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    files = [str(p) for p in path] if isinstance(path, list) else str(path)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(files)
    page.wait_for_timeout(500)
    wait_for_app_idle(page, 60000)


def test_a_good_upload_becomes_the_sessions_model(page, app_url, tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    path = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), path)
    upload(page, app_url, path)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your model", exact=True).wait_for(timeout=60000)
    assert "784–32–10" in sidebar.inner_text()
    screenshot(page, "upload_good")
    sidebar.get_by_role("button", name="Back to the shipped model").click()
    sidebar.get_by_text("Shipped model", exact=True).wait_for(timeout=60000)


def test_two_models_dropped_together_load_one_and_name_the_other(page, app_url, tmp_path):
    paths = []
    for hidden in (32, 48):
        model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
        paths.append(tmp_path / f"h{hidden}.pth")
        torch.save(model.state_dict(), paths[-1])
    upload(page, app_url, paths)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your model", exact=True).wait_for(timeout=60000)
    wait_for_app_idle(page)  # the notes under the uploader come later in the same run
    text = sidebar.inner_text()
    used = [h for h in (32, 48) if f"h{h}.pth · 784–{h}–10" in text]
    assert len(used) == 1, text  # one model, named with its shape, not a mix of the two
    other = 80 - used[0]
    error = sidebar.locator('[data-testid="stAlert"]').filter(has_text="one model at a time")
    assert f"h{other}.pth was not read" in error.inner_text()
    assert f"h{used[0]}.pth is now in use" in text
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "upload_two_at_once")


def test_a_hostile_pickle_is_refused_and_runs_nothing(page, app_url, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"fc1.weight": Hostile(marker)}, path)
    upload(page, app_url, path)
    error = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    error.wait_for(timeout=60000)
    assert "system" in error.inner_text() and "refused" in error.inner_text()
    assert "was not loaded" in error.inner_text() and "Still in use: the shipped model" in error.inner_text()
    assert not marker.exists()
    assert "Shipped model" in page.locator('[data-testid="stSidebar"]').inner_text()
    screenshot(page, "upload_hostile")


def test_a_network_with_the_wrong_input_size_is_explained(page, app_url, tmp_path):
    path = tmp_path / "wrong.pth"
    torch.save(torch.nn.Sequential(torch.nn.Linear(100, 10)).state_dict(), path)
    upload(page, app_url, path)
    error = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    error.wait_for(timeout=60000)
    assert "784" in error.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_loader_that_crashes_leaves_the_server_and_the_sessions_model(browser, tmp_path):
    """A server whose loader child calls os.abort() on a marked file (mnistapp.sandbox's test hook)."""
    port = free_port()
    proc = start_streamlit(port, env={TEST_HOOK_ENV: "abort"})
    url = f"http://127.0.0.1:{port}"
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        good = tmp_path / "tiny.pth"
        torch.save(torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).state_dict(),
                   good)
        upload(page, url, good)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Your model", exact=True).wait_for(timeout=60000)

        crash = tmp_path / "crash.pth"
        crash.write_bytes(TEST_HOOK_MARKER + b"anything")
        wait_for_app_idle(page, 60000)  # the run that accepted tiny.pth ends by making a fresh, empty uploader
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(crash))
        sidebar.get_by_text("crashed the loader").wait_for(timeout=60000)  # the good upload's note was an alert too
        error = sidebar.locator('[data-testid="stAlert"]')
        text = error.inner_text()
        assert "crashed the loader" in text and "Still in use: your model tiny.pth" in text, text
        assert "784–32–10" in sidebar.inner_text()  # the session keeps the model it had
        screenshot(page, "upload_crashed_loader")

        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:  # the server is still up
            assert r.status == 200
        other = browser.new_page()  # and serves the next visitor
        other.goto(url)
        other.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=60000)
        assert metric_value(other, "Prediction") == "–"
        assert "Shipped model" in other.locator('[data-testid="stSidebar"]').inner_text()
        other.close()
        page.close()
    finally:
        stop(proc)


def model_bytes(hidden: int) -> bytes:
    f = io.BytesIO()
    torch.save(torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)).state_dict(), f)
    return f.getvalue()


def open_with_uploader(page, url):
    """Open the app; the sidebar uploader's file input, as an element that stays this uploader's."""
    page.goto(url)
    page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    return page.locator('[data-testid="stFileUploader"] input[type="file"]').element_handle()


def assert_both_read(page, first: str, second: str, hidden: int):
    """The second model is the one in use; the first was read too, and is kept to switch back to."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(f"{second} is now in use").wait_for(timeout=60000)
    sidebar.get_by_role("button", name=f"Use {first}").wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    text = sidebar.inner_text()
    assert f"{second} · 784–{hidden}–10" in text, text
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_model_dropped_while_the_one_before_is_being_read_is_read_after_it(browser, tmp_path):
    """The second file lands on the uploader of the run that is still reading the first (a loader slowed by
    mnistapp.sandbox's test hook), and Streamlit starts a new run beside that one. The second waits for the
    first, then is read: both are kept, the second is in use."""
    port = free_port()
    proc = start_streamlit(port, env={TEST_HOOK_ENV: "slow"})
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        uploader = open_with_uploader(page, f"http://127.0.0.1:{port}")
        slow = tmp_path / "slow.pth"
        slow.write_bytes(TEST_HOOK_MARKER + model_bytes(48))
        uploader.set_input_files(str(slow))
        for _ in range(300):  # until the loader reads slow.pth, which it does for SLOW_HOOK_S
            if loader_children(proc.pid):
                break
            page.wait_for_timeout(100)
        assert loader_children(proc.pid), "slow.pth was never read"
        good = tmp_path / "tiny.pth"
        good.write_bytes(model_bytes(32))
        uploader.set_input_files(str(good))  # the same uploader: the run has not replaced it yet
        assert_both_read(page, "slow.pth", "tiny.pth", 32)
        note = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').inner_text()
        assert "slow.pth is now in use. tiny.pth is now in use." in note, note
        screenshot(page, "upload_second_while_first_read")
        assert not loader_children(proc.pid)
    finally:
        stop(proc)
