"""Refresh the README's pictures of the app: docs/train.png, docs/mistakes.png, docs/classify.png, the
inside views docs/inside.png (feature maps and filters) and docs/embedding.png (the embedding map), and the
challenge's workflow in the Train tab: docs/data.png, builder.png, lr_finder.png, controls.png, history.png.

Run `make screenshots` (or `.venv/bin/python scripts/screenshots.py [PART ...]` from the project folder,
PART one of tabs, workflow; default both). It starts the app on a free port, walks through the tabs in
headless Chromium as the browser tests do (tests/e2e/browser.py), and saves the PNGs.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import (  # noqa: E402
    CHROMIUM,
    PHOTOS,
    STEP_JS,
    chromium,
    first_photo,
    keyed,
    open_app,
    open_tab,
    result_panel,
    running_app,
    start_training,
    upload,
    wait_for_script,
)

DOCS = ROOT / "docs"
TRAIN_STEPS = 250          # two evaluations in: the curves, the confusion matrix and the per-class bars show
PHOTO_KIND = "trouser"
# A photo the shipped model gets right (Trouser, 92%): the README should show the app working.
PHOTO_NAME = "51efa1c1-991e-4f4f-bc07-76a879dca148.jpg"
SLOW_MS = 180_000          # training steps and the first classification, on two cores


def wait_for_images(page) -> None:
    """Every <img> has loaded, so none shows half-drawn in the screenshot."""
    page.wait_for_function("[...document.images].every(img => img.complete && img.naturalWidth > 0)",
                           timeout=SLOW_MS)


def save(page, name: str) -> Path:
    """A screenshot of the whole page, however tall.

    Streamlit scrolls its main area inside the window rather than the document, so a "full page"
    screenshot would stop at the window's edge: the window is made as tall as the content instead.
    """
    path = DOCS / f"{name}.png"
    with as_tall_as_the_page(page):
        page.screenshot(path=path, full_page=True, animations="disabled")
    print(f"saved {path.relative_to(ROOT)}")
    return path


@contextmanager
def as_tall_as_the_page(page):
    """The window made as tall as the page's content, once every image has loaded and no redraw is on."""
    wait_for_images(page)
    # The training area redraws every second; a redraw in progress shows faded ("stale") charts.
    page.wait_for_function("document.querySelectorAll('[data-stale=true]').length === 0", timeout=SLOW_MS)
    width = page.viewport_size["width"]
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight), window.innerHeight)")
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    try:
        yield
    finally:
        page.set_viewport_size({"width": width, "height": 1000})


def train_tab(page) -> None:
    """A run with the default settings, some way in; stopped afterwards so it does not keep the cores busy."""
    open_tab(page, "Train a model")
    start_training(page)
    page.wait_for_function(f"{STEP_JS} >= {TRAIN_STEPS}", timeout=SLOW_MS)
    page.wait_for_function("document.querySelectorAll('.st-key-train_progress .js-plotly-plot').length >= 3",
                           timeout=SLOW_MS)
    save(page, "train")
    stop = keyed(page, "train_stop").get_by_role("button")
    if stop.is_enabled():
        stop.click()
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled(timeout=SLOW_MS)
    wait_for_script(page, SLOW_MS)


def mistakes_tab(page) -> None:
    open_tab(page, "Mistakes")
    expect(keyed(page, "mistakes_images").locator("img")).to_have_count(40, timeout=SLOW_MS)
    wait_for_script(page, SLOW_MS)
    save(page, "mistakes")


def classify_tab(page) -> None:
    open_tab(page, "Classify your clothes")
    open_tab(page, "Upload a photo")
    chosen = PHOTOS / PHOTO_KIND / PHOTO_NAME
    upload(page, chosen if chosen.exists() else first_photo(PHOTOS, PHOTO_KIND))
    expect(result_panel(page).get_by_role("heading")).to_be_visible(timeout=SLOW_MS)
    wait_for_script(page, SLOW_MS)
    result_panel(page).get_by_text("views the answer is averaged over").click()   # show them in the picture
    expect(keyed(page, "classify_all_views").locator("img")).to_be_visible(timeout=SLOW_MS)
    page.wait_for_timeout(1000)      # the expander's opening animation, so the page has its full height
    save(page, "classify")


def save_part(page, key: str, name: str) -> Path:
    """A screenshot of one keyed container of the page."""
    path = DOCS / f"{name}.png"
    with as_tall_as_the_page(page):
        keyed(page, key).screenshot(path=path, animations="disabled")
    print(f"saved {path.relative_to(ROOT)}")
    return path


def inside_views(page) -> None:
    """After classify_tab: the photo's feature maps, its nearest training images, then the embedding map."""
    result_panel(page).get_by_text("Inside the network").click()
    expect(keyed(page, "inside_network").locator("img")).to_have_count(5, timeout=SLOW_MS)
    page.wait_for_timeout(1000)      # the expander's opening animation
    save_part(page, "inside_network", "inside")
    keyed(page, "classify_find_neighbours").get_by_role("button").click()
    expect(keyed(page, "classify_neighbours").locator("img")).to_have_count(8, timeout=2 * SLOW_MS)
    save_part(page, "classify_neighbours", "neighbours")
    open_tab(page, "Mistakes")
    page.get_by_text("The embedding map").click()
    expect(keyed(page, "embedding_map").locator(".js-plotly-plot")).to_be_visible(timeout=SLOW_MS)
    page.wait_for_timeout(2000)      # the expander's animation and Plotly's first draw
    save_part(page, "mistakes_embedding", "embedding")


def workflow(page) -> None:
    """The course's steps in the Train tab: look at the data, design a network, find a learning rate, train
    with a pause and a nudge, continue a run, compare the runs."""
    open_tab(page, "Train a model")
    choose_arch(page, "custom: your own design, below")
    expect(keyed(page, "train_builder").locator("table")).to_be_visible(timeout=SLOW_MS)
    save_part(page, "train_builder", "builder")
    choose_arch(page, "fast: 3 conv layers, 16-32-64 channels")
    page.get_by_text("Look at the data").click()
    expect(keyed(page, "data_browser")).to_contain_text("Normalisation", timeout=SLOW_MS)
    page.wait_for_timeout(1000)      # the expander's opening animation
    save_part(page, "data_browser", "data")
    page.get_by_text("Look at the data").click()                         # closed again: a shorter page
    page.get_by_text("Find a learning rate").click()
    keyed(page, "train_lr_find").get_by_role("button").click()
    expect(keyed(page, "train_lr_apply").get_by_role("button")).to_be_visible(timeout=SLOW_MS)
    page.wait_for_timeout(1500)      # Plotly's first draw
    save_part(page, "train_lr_finder", "lr_finder")
    paused_run_with_a_nudge(page)
    continued_run(page)


def choose_arch(page, option: str) -> None:
    keyed(page, "train_arch").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_script(page, SLOW_MS)


def paused_run_with_a_nudge(page) -> None:
    """Three epochs, doubled learning rate after the first evaluation, then a pause; stopped after the picture."""
    epochs = keyed(page, "train_epochs").locator("input")
    epochs.fill("3")
    epochs.press("Enter")
    wait_for_script(page, SLOW_MS)
    start_training(page)
    page.wait_for_function(f"{STEP_JS} >= 150", timeout=SLOW_MS)
    keyed(page, "train_lr_double").get_by_role("button").click()
    page.wait_for_function(f"{STEP_JS} >= 400", timeout=SLOW_MS)
    keyed(page, "train_pause").get_by_role("button").click()
    expect(keyed(page, "train_progress")).to_contain_text("Paused at step", timeout=SLOW_MS)
    page.wait_for_timeout(4000)      # the batch in flight, and the paused panel's redraw
    save_part(page, "train_progress", "controls")
    keyed(page, "train_stop").get_by_role("button").click()
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled(timeout=SLOW_MS)


def continued_run(page) -> None:
    """Continue the last run for one epoch at a tenth of its rate; the history shows both, and how they compare."""
    history = keyed(page, "train_history")
    history.get_by_role("button", name="Continue training").last.click()
    page.get_by_role("button", name="▶ Continue").click()
    expect(keyed(page, "train_stop").get_by_role("button")).to_be_enabled(timeout=SLOW_MS)
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled(timeout=2 * SLOW_MS)
    expect(history).to_contain_text("from Run", timeout=SLOW_MS)
    wait_for_script(page, SLOW_MS)
    page.wait_for_timeout(4000)      # Plotly's first draw of the comparison and the parallel view
    save_part(page, "train_history", "history")


PARTS = {"tabs": [train_tab, mistakes_tab, classify_tab, inside_views], "workflow": [workflow]}


def main() -> int:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package (make screenshots does, with apt).",
              file=sys.stderr)
        return 1
    if not (PHOTOS / PHOTO_KIND).is_dir():
        print(f"{PHOTOS / PHOTO_KIND} is missing: the Classify screenshot needs one photo from it.", file=sys.stderr)
        return 1
    DOCS.mkdir(exist_ok=True)
    # Without Streamlit's Deploy button and menu, the pictures show only the app.
    with running_app("--client.toolbarMode", "minimal") as url, sync_playwright() as playwright, \
            chromium(playwright) as browser:
        page = open_app(browser, url)
        for part in sys.argv[1:] or PARTS:
            for step in PARTS[part]:
                step(page)
        if page.console_errors:
            print("The browser logged errors:", *page.console_errors, sep="\n  ", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
