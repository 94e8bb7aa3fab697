"""How a new user's first visit feels, timed in a real browser: the first page, then a first training run.

Run `.venv/bin/python scripts/first_visit.py [--runs 3]` from the project folder. Each run starts a fresh
`streamlit run app.py` (a new process: nothing cached), opens it in headless Chromium and reports:

- first page: seconds from starting the server until the Train tab's Start button is on screen;
- whole page: until the script's first run has finished (the Mistakes tab has classified the test images);
- to 85%: seconds from pressing Start with the default settings until the page shows a test accuracy
  of 85% or more.

It prints each run and the medians. Quote the medians: the machine is shared and noisy.
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

from tests.e2e.browser import FIRST_LOAD_MS, chromium, keyed, running_app, wait_for_script  # noqa: E402

TARGET = 0.85
# The live "Test accuracy" metric, as a fraction (NaN until the first evaluation).
TEST_ACCURACY_JS = """() => {
    const metric = [...document.querySelectorAll('.st-key-train_progress [data-testid=stMetric]')]
        .find(m => m.innerText.startsWith('Test accuracy'));
    const value = metric?.querySelector('[data-testid=stMetricValue]')?.innerText ?? '';
    return parseFloat(value) / 100;
}"""


def one_visit(browser) -> tuple[float, float, float]:
    start = time.perf_counter()
    with running_app(timeout=120) as url:
        page = browser.new_page()
        page.goto(url)
        expect(keyed(page, "train_start").get_by_role("button")).to_be_visible(timeout=FIRST_LOAD_MS)
        first = time.perf_counter() - start
        wait_for_script(page, FIRST_LOAD_MS)
        whole = time.perf_counter() - start
        pressed = time.perf_counter()
        keyed(page, "train_start").get_by_role("button").click()
        page.wait_for_function(f"({TEST_ACCURACY_JS})() >= {TARGET}", timeout=FIRST_LOAD_MS, polling=100)
        to_target = time.perf_counter() - pressed
        keyed(page, "train_stop").get_by_role("button").click()
        page.close()
    return first, whole, to_target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh server starts to time (default 3)")
    args = parser.parse_args()
    results = []
    with sync_playwright() as playwright, chromium(playwright) as browser:
        for i in range(args.runs):
            first, whole, to_target = one_visit(browser)
            results.append((first, whole, to_target))
            print(f"run {i + 1}: first page {first:.1f} s, whole page {whole:.1f} s, "
                  f"Start to {TARGET:.0%} {to_target:.1f} s", flush=True)
    first, whole, to_target = (statistics.median(column) for column in zip(*results, strict=True))
    print(f"median of {args.runs}: first page {first:.1f} s, whole page {whole:.1f} s, "
          f"Start to {TARGET:.0%} {to_target:.1f} s")


if __name__ == "__main__":
    main()
