"""How soon a new user sees the app: seconds from starting the server to the first page in a browser.

Run `.venv/bin/python scripts/first_page.py [--runs 3]` from the project folder. Each run starts a fresh
`streamlit run app.py` (a new process: nothing cached) and opens it in headless Chromium, and reports:

- first page: the Train tab's Start button is on screen, ready to press;
- whole page: the script's first run has finished (the Mistakes tab has classified the test images).

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


def one_run(browser) -> tuple[float, float]:
    start = time.perf_counter()
    with running_app(timeout=120) as url:
        page = browser.new_page()
        page.goto(url)
        expect(keyed(page, "train_start").get_by_role("button")).to_be_visible(timeout=FIRST_LOAD_MS)
        first = time.perf_counter() - start
        wait_for_script(page, FIRST_LOAD_MS)
        whole = time.perf_counter() - start
        page.close()
    return first, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh server starts to time (default 3)")
    args = parser.parse_args()
    firsts, wholes = [], []
    with sync_playwright() as playwright, chromium(playwright) as browser:
        for i in range(args.runs):
            first, whole = one_run(browser)
            firsts.append(first)
            wholes.append(whole)
            print(f"run {i + 1}: first page {first:.1f} s, whole page {whole:.1f} s", flush=True)
    print(f"median of {args.runs}: first page {statistics.median(firsts):.1f} s, "
          f"whole page {statistics.median(wholes):.1f} s")


if __name__ == "__main__":
    main()
