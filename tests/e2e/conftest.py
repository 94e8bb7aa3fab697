"""Fixtures for the browser tests: one app server and one Chromium for the whole run.

The tests in a module share one page, so they walk one person's journey through the app in order.
"""
import pytest
from playwright.sync_api import sync_playwright

from .browser import CHROMIUM, PHOTOS, chromium, first_photo, open_app, photo_as_video, running_app


@pytest.fixture(scope="session")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Chromium whose webcam films a real photo of trousers, for the camera test."""
    if not CHROMIUM.exists():       # the tests also skip themselves; this guards other users of the fixture
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)")
    camera = None
    if PHOTOS.is_dir():
        camera = photo_as_video(first_photo(PHOTOS, "trouser"), tmp_path_factory.mktemp("camera") / "trousers.y4m")
    with sync_playwright() as playwright, chromium(playwright, camera) as browser:
        yield browser


@pytest.fixture(scope="module")
def page(browser, app_url):
    """One browser tab on the app: a single Streamlit session for all tests of a module."""
    page = open_app(browser, app_url)
    yield page
    page.close()
