"""The architecture builder in headless Chromium: choosing "custom" shows the builder and its layer table, and a
change of design changes the table.

A page of its own (one Streamlit session for this module); nothing is trained.
"""
import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, keyed, open_tab, wait_for_script

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)"),
]

RERUN_MS = 60_000


def test_a_custom_design_shows_its_layer_table(page):
    open_tab(page, "Train a model")
    builder = keyed(page, "train_builder")
    expect(builder).to_contain_text("choose custom")
    keyed(page, "train_arch").get_by_role("combobox").click()
    page.get_by_role("option", name="custom: your own design, below", exact=True).click()
    table = builder.locator("table")
    expect(table).to_contain_text("Block 3: 3×3 convolution", timeout=RERUN_MS)
    expect(builder).to_contain_text("29,178")                # the default design is the fast preset
    # One block fewer, with the keyboard on the slider: the table loses its third block.
    keyed(page, "train_builder_blocks").get_by_role("slider").press("ArrowLeft")
    wait_for_script(page)
    expect(table).not_to_contain_text("Block 3", timeout=RERUN_MS)
    expect(table).to_contain_text("Block 2: 2×2 max-pool, batch norm, ReLU")
    expect(table).to_contain_text("32×7×7")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.console_errors == [], page.console_errors
