"""Uploading a model in the sidebar: a good one is used, a hostile or wrong one is refused in plain words."""
import os

import pytest
import torch

from conftest import screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def upload(page, app_url, path):
    page.goto(app_url)
    page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=30000)
    wait_for_app_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.wait_for_timeout(500)
    wait_for_app_idle(page)


def test_a_good_upload_becomes_the_sessions_model(page, app_url, tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    path = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), path)
    upload(page, app_url, path)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your model").wait_for(timeout=10000)
    assert "784–32–10" in sidebar.inner_text()
    screenshot(page, "upload_good")
    sidebar.get_by_role("button", name="Back to the shipped model").click()
    sidebar.get_by_text("Shipped model").wait_for(timeout=10000)


def test_a_hostile_pickle_is_refused_and_runs_nothing(page, app_url, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"fc1.weight": Hostile(marker)}, path)
    upload(page, app_url, path)
    error = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    error.wait_for(timeout=10000)
    assert "system" in error.inner_text() and "refused" in error.inner_text()
    assert not marker.exists()
    assert "Shipped model" in page.locator('[data-testid="stSidebar"]').inner_text()
    screenshot(page, "upload_hostile")


def test_a_network_with_the_wrong_input_size_is_explained(page, app_url, tmp_path):
    path = tmp_path / "wrong.pth"
    torch.save(torch.nn.Sequential(torch.nn.Linear(100, 10)).state_dict(), path)
    upload(page, app_url, path)
    error = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    error.wait_for(timeout=10000)
    assert "784" in error.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
