"""What sessions waiting in the training queue cost the one that trains, timed in a real browser.

Run `.venv/bin/python scripts/waiting_cost.py [--waiting 3] [--seconds 30] [-- STREAMLIT OPTIONS]` from the
project folder. It starts a fresh `streamlit run app.py`, opens one page that presses Start and then
`--waiting` more that press Start too (they queue behind it, their progress panels rerunning), and
prints how many training steps the running session made per second over `--seconds`, read off its page.
Give Streamlit options after `--`, e.g. `-- --runner.postScriptGC true`, to compare settings.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import (  # noqa: E402
    FIRST_LOAD_MS,
    STEP_JS,
    VIEWPORT,
    chromium,
    keyed,
    running_app,
    start_training,
    wait_for_script,
)


def open_page(browser, url: str):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    expect(keyed(page, "train_start")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_for_script(page)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=3, help="sessions queued behind the running one")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to count the running one's steps")
    parser.add_argument("--epochs", type=int, default=10, help="the running session's epochs: enough to outlast it")
    parser.add_argument("streamlit", nargs="*", help="options for streamlit run, after --")
    args = parser.parse_args()
    with sync_playwright() as playwright, chromium(playwright) as browser, \
            running_app(*args.streamlit, timeout=120) as url:
        trainer = open_page(browser, url)
        epochs = keyed(trainer, "train_epochs").locator("input")
        epochs.fill(str(args.epochs))
        epochs.press("Enter")
        wait_for_script(trainer)
        start_training(trainer)
        for _ in range(args.waiting):
            waiter = open_page(browser, url)
            keyed(waiter, "train_start").get_by_role("button").click()
            expect(keyed(waiter, "train_progress")).to_contain_text("ahead of yours", timeout=FIRST_LOAD_MS)
        first, start = trainer.evaluate(STEP_JS), time.perf_counter()
        time.sleep(args.seconds)
        last, seconds = trainer.evaluate(STEP_JS), time.perf_counter() - start
    print(f"{args.waiting} sessions waiting, options {args.streamlit or 'none'}: "
          f"{(last - first) / seconds:.1f} training steps/s over {seconds:.0f} s (steps {first} to {last})")


if __name__ == "__main__":
    main()
