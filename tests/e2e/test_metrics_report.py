"""The Mistakes tab's precision, recall and calibration view in headless Chromium: opened, it draws its table
and both charts inside the container metrics_report.

A page of its own (one Streamlit session for this module), so it needs no training first.
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
# The traces of each chart in the view: the PR curves' first, then the reliability diagram's.
TRACES_JS = """() => [...document.querySelectorAll('.st-key-metrics_report .js-plotly-plot')]
    .map(chart => (chart.data ?? []).length)"""


def test_the_expander_draws_the_table_and_both_charts(page):
    open_tab(page, "Mistakes")
    expect(keyed(page, "mistakes_images").locator("img")).to_have_count(40, timeout=RERUN_MS)
    expect(keyed(page, "metrics_report")).to_have_count(0)          # worked out only once opened
    page.get_by_text("Precision, recall and calibration").click()
    view = keyed(page, "metrics_report")
    expect(view.get_by_test_id("stDataFrame")).to_be_visible(timeout=RERUN_MS)
    expect(view.locator(".js-plotly-plot")).to_have_count(2, timeout=RERUN_MS)
    wait_for_script(page)
    # Ten curves, one per class; bars, their mean confidences and the diagonal.
    page.wait_for_function(f"({TRACES_JS})().join() === '10,3'", timeout=RERUN_MS)
    expect(view).to_contain_text("ECE 0.")
    expect(view).to_contain_text("AP 0.")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.console_errors == [], page.console_errors
