"""A link to settings in headless Chromium: the app opened with settings in its URL shows them in the Train tab's
controls, keeps them in the address beside the person's id, and offers the link to copy.

A page of its own (one Streamlit session for this module); nothing is trained.
"""
import re

import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, keyed, open_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)"),
]

LINK = "epochs=7&batch_size=64&lr=0.003&optimizer=adamw&augment=true&seed=42"


def test_a_link_opens_the_app_with_its_settings(browser, app_url):
    page = open_app(browser, f"{app_url}/?{LINK}")
    try:
        expect(keyed(page, "train_epochs").locator("input")).to_have_value("7")
        expect(keyed(page, "train_seed").locator("input")).to_have_value("42")
        expect(keyed(page, "train_optimizer").get_by_role("combobox")).to_have_value("adamw")
        expect(keyed(page, "train_batch").get_by_role("slider")).to_have_attribute("aria-valuetext", "64")
        expect(keyed(page, "train_lr").get_by_role("slider")).to_have_attribute("aria-valuetext", "0.003")
        expect(keyed(page, "train_augment").get_by_role("switch")).to_be_checked()
        # The address keeps the settings, and the person's id beside them (a reload finds their runs).
        expect(page).to_have_url(re.compile(r"[?&]user=[A-Za-z0-9_-]{22}"))
        for param in LINK.split("&"):
            expect(page).to_have_url(re.compile(rf"[?&]{re.escape(param)}(&|$)"))
        # The link to copy carries the settings and not the id.
        page.get_by_role("button", name="Copy a link to these settings").click()
        link = page.get_by_test_id("stCode").filter(has_text="epochs=7")
        expect(link).to_contain_text("seed=42")
        expect(link).not_to_contain_text("user=")
        expect(page.get_by_test_id("stAlert").filter(has_text="The link's")).to_have_count(0)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert page.console_errors == [], page.console_errors
    finally:
        page.close()
