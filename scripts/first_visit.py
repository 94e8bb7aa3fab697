"""How a first visit feels, timed in a real browser: the first page, every tab, then a first training run.

Run `.venv/bin/python scripts/first_visit.py [--runs 3]` from the project folder. Each run starts a fresh
`streamlit run app.py` (a new process: nothing cached), opens it in headless Chromium (a cold visit), then
opens it again in a second page (a warm visit: the server has loaded everything). For each visit it reports
seconds from opening the page until

- Start: the Train tab's Start button is on screen;
- Classify: the Classify tab's uploader is in the page too (that tab is drawn whichever tab is open);
- Mistakes: then, from clicking the Mistakes tab (drawn only while open), until it shows its grid or its
  "in a moment" note;
- grid: from opening the page until the Mistakes grid is drawn (the shipped model has classified the
  10,000 test images, once per server).

Then, on the warm page, seconds from pressing Start with the default settings until the page shows a test
accuracy of 85% or more. It prints each run and the medians. Quote the medians: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import FIRST_LOAD_MS, chromium, keyed, open_tab, running_app, wait_for_script  # noqa: E402

TARGET = 0.85
# The live "Test accuracy" metric, as a fraction (NaN until the first evaluation).
TEST_ACCURACY_JS = """() => {
    const metric = [...document.querySelectorAll('.st-key-train_progress [data-testid=stMetric]')]
        .find(m => m.innerText.startsWith('Test accuracy'));
    const value = metric?.querySelector('[data-testid=stMetricValue]')?.innerText ?? '';
    return parseFloat(value) / 100;
}"""


def open_page(browser, url: str) -> tuple[object, list[float]]:
    """Open the app in a new page; returns it and the seconds to Start, Classify, Mistakes and the grid."""
    start = time.perf_counter()
    page = browser.new_page()
    page.goto(url)
    expect(keyed(page, "train_start").get_by_role("button")).to_be_visible(timeout=FIRST_LOAD_MS)
    times = [time.perf_counter() - start]
    expect(keyed(page, "classify_upload")).to_be_attached(timeout=FIRST_LOAD_MS)
    times.append(time.perf_counter() - start)
    clicked = time.perf_counter()
    open_tab(page, "Mistakes")
    expect(keyed(page, "mistakes_images").or_(page.get_by_text("appear here in a moment"))).to_be_visible(
        timeout=FIRST_LOAD_MS)
    times.append(time.perf_counter() - clicked)
    expect(keyed(page, "mistakes_images")).to_be_visible(timeout=FIRST_LOAD_MS)
    times.append(time.perf_counter() - start)
    open_tab(page, "Train a model")
    return page, times


def one_visit(browser) -> list[float]:
    """A cold visit's four figures, a warm visit's four, and the warm page's Start to 85%."""
    with running_app(timeout=120) as url:
        cold_page, cold = open_page(browser, url)
        cold_page.close()
        page, warm = open_page(browser, url)
        wait_for_script(page, FIRST_LOAD_MS)
        pressed = time.perf_counter()
        keyed(page, "train_start").get_by_role("button").click()
        page.wait_for_function(f"({TEST_ACCURACY_JS})() >= {TARGET}", timeout=FIRST_LOAD_MS, polling=100)
        to_target = time.perf_counter() - pressed
        keyed(page, "train_stop").get_by_role("button").click()
        page.close()
    return [*cold, *warm, to_target]


def describe(figures) -> str:
    cold, warm = figures[:4], figures[4:8]
    visit = "Start {:.1f} s, Classify {:.1f} s, Mistakes {:.1f} s after its click, grid {:.1f} s"
    return (f"cold: {visit.format(*cold)}; warm: {visit.format(*warm)}; "
            f"Start to {TARGET:.0%} {figures[8]:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh server starts to time (default 3)")
    args = parser.parse_args()
    results = []
    with sync_playwright() as playwright, chromium(playwright) as browser:
        for i in range(args.runs):
            results.append(one_visit(browser))
            print(f"run {i + 1}: {describe(results[-1])}", flush=True)
    print(f"median of {args.runs}: {describe([statistics.median(column) for column in zip(*results, strict=True)])}")


if __name__ == "__main__":
    main()
