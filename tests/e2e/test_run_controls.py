"""The Train tab's run controls in headless Chromium: pause, a learning-rate nudge, resume, continue a run, and
the learning-rate finder with its one-click suggestion.

A page of its own (one Streamlit session for this module), walking one person's journey in order.
"""
import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, STEP_JS, keyed, open_tab, start_training, wait_for_script

PANEL_JS = "(document.querySelector('.st-key-train_progress')?.innerText ?? '')"
FRESH_PANEL_JS = "!document.querySelector('.st-key-train_progress [data-stale=true]')"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)"),
]

TRAINING_MS = 120_000
PAUSED_REDRAW_MS = 3_000      # a paused run's panel redraws this often (fashion.ui.train_tab.QUEUED_POLL_S)


def button(page, key: str):
    return keyed(page, key).get_by_role("button")


def healthy(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.console_errors == [], page.console_errors


def test_pause_nudge_resume_and_stop(page):
    open_tab(page, "Train a model")
    expect(button(page, "train_pause")).to_be_disabled()
    start_training(page)
    page.wait_for_function(f"{STEP_JS} > 100", timeout=TRAINING_MS)       # past the first evaluation: kept
    button(page, "train_pause").click()
    progress = keyed(page, "train_progress")
    expect(progress).to_contain_text("Paused at step", timeout=TRAINING_MS)
    expect(button(page, "train_resume")).to_be_enabled()
    page.wait_for_timeout(2 * PAUSED_REDRAW_MS)       # the batch in flight when Pause was pressed comes in
    paused_at = page.evaluate(STEP_JS)
    wait_for_script(page)             # a click while the panel redraws could be drawn over before it lands
    button(page, "train_lr_half").click()
    wait_for_script(page)
    chart = page.locator(".st-key-train_live_chart:not([data-stale=true])").first
    expect(chart).to_contain_text("lr x0.5", timeout=TRAINING_MS)
    page.wait_for_timeout(2 * PAUSED_REDRAW_MS)
    assert page.evaluate(STEP_JS) == paused_at                           # nothing trained while paused
    wait_for_script(page)
    button(page, "train_resume").click()
    page.wait_for_function(f"{STEP_JS} > {paused_at}", timeout=TRAINING_MS)
    expect(progress).to_contain_text("Learning rate")
    button(page, "train_stop").click()
    expect(keyed(page, "train_history")).to_contain_text("Run 1", timeout=TRAINING_MS)
    healthy(page)


def test_continue_the_run_from_the_history(page):
    history = keyed(page, "train_history")
    history.get_by_role("button", name="Continue training").click()
    button(page, "train_continue_0").click()
    expect(button(page, "train_stop")).to_be_enabled(timeout=TRAINING_MS)
    # Past the first evaluation (step 100) of the new run, not of Run 1: stopped before an evaluation, a run
    # is not kept. Run 1's panel stays up until the new one draws, and while it draws ("Starting…") Run 1's
    # step line lingers below, marked stale: so the step is read only from a panel with nothing stale in it.
    page.wait_for_function(f"!/Run (stopped|finished)/.test({PANEL_JS}) && {FRESH_PANEL_JS} && {STEP_JS} > 100",
                           timeout=TRAINING_MS)
    button(page, "train_stop").click()
    expect(history).to_contain_text("from Run 1", timeout=TRAINING_MS)
    healthy(page)


def test_the_finder_suggests_a_rate_that_one_click_applies(page):
    finder = keyed(page, "train_lr_finder")
    page.get_by_text("Find a learning rate").click()
    button(page, "train_lr_find").click()
    apply = button(page, "train_lr_apply")
    expect(apply).to_be_visible(timeout=TRAINING_MS)
    expect(finder.locator(".js-plotly-plot")).to_contain_text("suggested")
    value = apply.inner_text().split()[1]                                # "Use 0.0224 as the learning rate"
    apply.click()
    wait_for_script(page)
    expect(keyed(page, "train_lr")).to_contain_text(value)
    healthy(page)


def test_the_data_browser_rerolls_the_augmented_images(page):
    page.get_by_text("Look at the data").click()
    browser = keyed(page, "data_browser")
    expect(browser).to_contain_text("Normalisation", timeout=TRAINING_MS)
    images = browser.locator("[data-testid=stImage] img")
    expect(images).to_have_count(20)
    sources = images.evaluate_all("imgs => imgs.map(i => i.src)")
    button(page, "data_browser_reroll").click()
    # The rerun redraws the images a moment after the script ends: wait for any of them to change.
    page.wait_for_function("before => [...document.querySelectorAll('.st-key-data_browser [data-testid=stImage] img')]"
                           ".some((img, i) => img.src !== before[i])", arg=sources, timeout=TRAINING_MS)
    wait_for_script(page)
    after = images.evaluate_all("imgs => imgs.map(i => i.src)")
    assert sum(a != b for a, b in zip(sources, after, strict=True)) == 10    # the augmented half only
    healthy(page)
