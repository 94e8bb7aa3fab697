"""Fixtures for the browser tests: one app server and one Chromium for the whole run.

The tests in a module share one page, so they walk one person's journey through the app in order.
"""
import pytest
from playwright.sync_api import sync_playwright

from .browser import CHROMIUM, chromium, open_app, running_app


@pytest.fixture(scope="session")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():       # the tests also skip themselves; this guards other users of the fixture
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)")
    with sync_playwright() as playwright, chromium(playwright) as browser:
        yield browser


@pytest.fixture(scope="module")
def page(browser, app_url):
    """One browser tab on the app: a single Streamlit session for all tests of a module."""
    page = open_app(browser, app_url)
    yield page
    page.close()
