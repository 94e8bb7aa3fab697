"""A room of users on one server, in a real browser: latencies, queue waits and the server's footprint.

Run `.venv/bin/python scripts/load.py [--sessions 6] [--runs 6] [--clients browser] [-- STREAMLIT OPTIONS]`
from the project folder. It starts a fresh `streamlit run app.py` on the loopback interface and opens one
observer page in headless Chromium. The observer times photo uploads on the idle server and one 1-epoch run
alone. Then `--sessions` more sessions open at once; `--runs` of them press Start with 1 epoch (they queue),
the others upload a photo each at once and then one every `--pace-s` seconds, while the observer keeps
uploading photos until every run has finished.
Last, the sessions close. The room's sessions are Chromium pages (`--clients browser`) or websockets that
send what a page sends and draw nothing (`--clients socket`, scripts/socket_session.py): on this two-core
machine, twenty pages drawing every rerun take the CPU the server is measured on, while in a workshop each
page draws on its own laptop. The observer is always a real page: its latency is what a person sees. It prints

- photo upload latency (upload until the new 28x28 view is on the page), median and worst, idle and under load;
- the one run alone, and for the queued runs: the wait from each one's Start until it was training, the
  time from the first Start until each had finished, and the most runs seen training at once;
- the server's resident memory and open file descriptors once warm (after the observer's first visit),
  at their peak, 10 s after the sessions closed, and once Streamlit has let go of the closed sessions
  (it keeps one for server.disconnectedSessionTTL, 120 s by default, in case the page reconnects);
- how many of the room's photo uploads got an answer, and whether the server is still alive;
- any error text seen on a page (Streamlit's exception boxes and uncaught page errors).

Bounded: at most MAX_SESSIONS pages and `--limit-s` seconds of load. Queue waits are read by polling the
pages between uploads, so they are good to about a second. Photos come from ../shared/photos.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.socket_session import SocketSession  # noqa: E402
from tests.e2e.browser import (  # noqa: E402
    FIRST_LOAD_MS,
    PHOTOS,
    VIEWPORT,
    chromium,
    keyed,
    open_tab,
    running_server,
    upload,
    wait_for_script,
)

MAX_SESSIONS = 30
RUN_MS = 600_000
SESSION_TTL_S = 120                  # Streamlit's server.disconnectedSessionTTL: a closed session is kept this long
VIEWS_JS = "() => [...document.querySelectorAll('.st-key-classify_views img')].map(img => img.src)"


class Watcher(threading.Thread):
    """Samples a process's resident memory (MB) and open file descriptors once a second."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()

    def sample(self) -> tuple[float, int]:
        status = Path(f"/proc/{self.pid}/status").read_text()
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        return rss_kb / 1024, len(os.listdir(f"/proc/{self.pid}/fd"))

    def run(self) -> None:
        while not self.done.wait(1.0):
            self.samples.append(self.sample())


def phone_photos() -> list[Path]:
    """The shared phone photos of clothes, in a fixed order: each upload is a different file."""
    with open(PHOTOS / "manifest.csv", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row.get("kind") == "phone"]
    return sorted(PHOTOS / row["file"] for row in rows if not row["file"].startswith("not_fashion_mnist"))


def new_page(browser, url: str):
    page = browser.new_page(viewport=VIEWPORT)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"uncaught: {error}"))
    page.goto(url, wait_until="commit")
    return page


def upload_latency(page, photo: Path) -> float:
    """Seconds from handing the uploader a photo until the page shows that photo's 28x28 view."""
    before = page.evaluate(VIEWS_JS)
    start = time.perf_counter()
    upload(page, photo)
    page.wait_for_function(f"old => ({VIEWS_JS})().some(src => !old.includes(src))", arg=before,
                           timeout=RUN_MS, polling=50)
    return time.perf_counter() - start


def press_start(page, epochs: int = 1) -> None:
    open_tab(page, "Train a model")
    field = keyed(page, "train_epochs").locator("input")
    field.fill(str(epochs))
    field.press("Enter")
    wait_for_script(page)
    keyed(page, "train_start").get_by_role("button").click()


def run_state(page) -> str:
    """"queued", "training" or "done", read off the page's progress panel."""
    text = keyed(page, "train_progress").inner_text(timeout=RUN_MS)
    if "Run finished" in text:
        return "done"
    return "queued" if "Waiting" in text or "Starting" in text or "Press Start" in text else "training"


def errors_on(page) -> list[str]:
    return page.get_by_test_id("stException").all_inner_texts() + page.errors


def one_run_alone(page) -> float:
    start = time.perf_counter()
    press_start(page)
    expect(keyed(page, "train_progress")).to_contain_text("Run finished", timeout=RUN_MS)
    return time.perf_counter() - start


class BrowserClient:
    """A room session as a Chromium page."""

    def __init__(self, browser, url: str):
        self.page, self.sent = new_page(browser, url), 0

    def ready(self) -> None:
        wait_for_script(self.page, FIRST_LOAD_MS)

    def start_run(self) -> None:
        press_start(self.page)

    def state(self) -> str:
        return run_state(self.page)

    def upload(self, photo: Path) -> None:
        if not self.sent:
            open_tab(self.page, "Classify your clothes")
        upload(self.page, photo)
        self.sent += 1

    def uploads(self) -> tuple[int, int]:
        """(answered, sent): an answer shows the photo's 28x28 views."""
        if not self.sent:
            return 0, 0
        views = keyed(self.page, "classify_views").locator("img")
        return int(views.count() > 0), self.sent

    def errors(self) -> list[str]:
        return errors_on(self.page)

    def close(self) -> None:
        self.page.close()


class SocketClient:
    """A room session as a websocket (see scripts/socket_session.py); its upload runs in the background,
    as a page's does, so the next session's turn does not wait for the answer."""

    def __init__(self, url: str):
        self.session = SocketSession(url)             # returns once the first script run has finished
        self.sent: list[threading.Thread] = []
        self.answered = 0

    def ready(self) -> None:
        pass

    def start_run(self) -> None:
        self.session.open_tab("Train a model")
        self.session.rerun(train_epochs=("int_value", 1))
        self.session.press("train_start")

    def state(self) -> str:
        return "queued" if self.session.state == "idle" else self.session.state

    def upload(self, photo: Path) -> None:
        """Send a photo, unless the last one is still waiting for its answer (as a person would)."""
        if self.sent and self.sent[-1].is_alive():
            return

        def send() -> None:
            if len(self.sent) == 1:
                self.session.open_tab("Classify your clothes")
            self.answered += self.session.upload("classify_upload", photo)
        self.sent.append(threading.Thread(target=send, daemon=True))
        self.sent[-1].start()

    def uploads(self) -> tuple[int, int]:
        """(answered, sent): a photo whose rerun never finished is a hung or crashed server."""
        for thread in self.sent:
            thread.join(timeout=RUN_MS / 1000)
        return self.answered, len(self.sent)

    def errors(self) -> list[str]:
        return list(self.session.errors)

    def close(self) -> None:
        self.session.close()


def open_room(browser, url: str, args) -> list:
    """--sessions sessions opened at once, so that their first runs overlap."""
    if args.clients == "browser":
        clients = [BrowserClient(browser, url) for _ in range(args.sessions)]
    else:
        with ThreadPoolExecutor(args.sessions) as pool:
            clients = list(pool.map(lambda _: SocketClient(url), range(args.sessions)))
    for client in clients:
        client.ready()
    return clients


def load(browser, url: str, args, photos: list[Path], watcher: Watcher) -> dict:
    observer = new_page(browser, url)
    wait_for_script(observer, FIRST_LOAD_MS)
    open_tab(observer, "Classify your clothes")
    idle = [upload_latency(observer, photo) for photo in photos[:3]]
    alone = one_run_alone(observer)
    open_tab(observer, "Classify your clothes")
    start = watcher.sample()                         # warm: the observer has loaded everything once
    room = open_room(browser, url, args)
    runners = room[:args.runs]
    started = time.perf_counter()
    pressed = []
    for client in runners:
        client.start_run()
        pressed.append(time.perf_counter() - started)
    # The observer and the room draw from one cycle of photos: no session sends the same file twice running.
    cycle = itertools.cycle(photos[3:])
    uploaders = room[args.runs:]
    # The first photos go all at once, with the Starts; after that each session keeps its own pace, spread
    # over the interval as people's are, not in lockstep.
    due = [0.0] * len(uploaders)
    waits, finished, loaded, most_at_once = {}, {}, [], 0
    sent_at = []                                     # seconds after the first Start, one per loaded upload
    while len(finished) < len(runners) and time.perf_counter() - started < args.limit_s:
        for i, client in enumerate(uploaders):
            now = time.perf_counter() - started
            if now >= due[i] and (args.pace_s or not client.sent):
                client.upload(next(cycle))
                due[i] = now + args.pace_s * (1 + i / len(uploaders) if due[i] == 0 else 1)
        states = [client.state() for client in runners]
        now = time.perf_counter() - started
        # A finished run's page shows its progress until its next redraw: this can count one too many.
        most_at_once = max(most_at_once, states.count("training"))
        for i, state in enumerate(states):
            if state != "queued":
                waits.setdefault(i, now - pressed[i])
            if state == "done":
                finished.setdefault(i, now)
        if len(finished) < len(runners):
            sent_at.append(time.perf_counter() - started)
            loaded.append(upload_latency(observer, next(cycle)))
    errors = errors_on(observer) + [text for client in room for text in client.errors()]
    answered = [sum(counts) for counts in zip(*(client.uploads() for client in room), strict=True)] or [0, 0]
    observer.close()
    for client in room:
        client.close()
    time.sleep(10)                                   # the server notices the closed sockets
    soon = watcher.sample()
    time.sleep(SESSION_TTL_S)
    # Streamlit drops sessions past their TTL only when it stores the next one: a next visitor comes and goes.
    SocketSession(url).close()
    time.sleep(5)
    return {"start": start, "idle": idle, "alone": alone, "loaded": loaded, "sent_at": sent_at,
            "waits": list(waits.values()),
            "finished": list(finished.values()), "runs": len(runners), "most_at_once": most_at_once,
            "soon": soon, "after": watcher.sample(), "errors": errors, "answered": answered}


def seconds(values: list[float]) -> str:
    if not values:
        return "none"
    return f"median {statistics.median(values):.2f} s, worst {max(values):.2f} s ({len(values)})"


def report(result: dict, samples: list[tuple[float, int]]) -> None:
    start = result["start"]
    print(f"photo upload, idle: {seconds(result['idle'])}")
    print(f"photo upload, under load: {seconds(result['loaded'])}")
    if result["loaded"]:
        worst = max(range(len(result["loaded"])), key=result["loaded"].__getitem__)
        print(f"  the worst was sent {result['sent_at'][worst]:.1f} s after the first Start; "
              f"latencies in order: {' '.join(f'{s:.1f}' for s in result['loaded'])}")
    print(f"one 1-epoch run alone: {result['alone']:.1f} s")
    print(f"queued runs: {len(result['finished'])} of {result['runs']} finished; wait until training "
          f"{seconds(result['waits'])}; until finished {seconds(result['finished'])}; "
          f"at most {result['most_at_once']} seen training at once")
    peak_rss, peak_fds = max(s[0] for s in samples), max(s[1] for s in samples)
    soon, after = result["soon"], result["after"]
    print(f"server RSS: warm {start[0]:.0f} MB, peak {peak_rss:.0f} MB, 10 s after closing {soon[0]:.0f} MB, "
          f"{SESSION_TTL_S + 10} s after {after[0]:.0f} MB")
    print(f"server open files: warm {start[1]}, peak {peak_fds}, 10 s after closing {soon[1]}, "
          f"{SESSION_TTL_S + 10} s after {after[1]}")
    answered, sent = result["answered"]
    print(f"the room's photo uploads answered: {answered} of {sent}")
    if result["server_exit"] is not None:
        print(f"THE SERVER DIED (exit code {result['server_exit']})")
    print(f"error text on pages: {len(result['errors'])}")
    for text in result["errors"]:
        print("  " + text.splitlines()[0][:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6, help=f"pages opened at once (at most {MAX_SESSIONS})")
    parser.add_argument("--runs", type=int, default=6, help="of those, how many start a 1-epoch run")
    parser.add_argument("--clients", choices=["browser", "socket"], default="browser",
                        help="the room's sessions: Chromium pages, or websockets that draw nothing")
    parser.add_argument("--pace-s", type=float, default=10,
                        help="the sessions that do not train upload a photo each this often (0: once)")
    parser.add_argument("--limit-s", type=float, default=900, help="stop the load after this many seconds")
    parser.add_argument("streamlit", nargs="*", help="Streamlit options, after --")
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS or not 0 <= args.runs <= args.sessions:
        parser.error(f"--sessions goes from 1 to {MAX_SESSIONS}, and --runs from 0 to --sessions")
    if not PHOTOS.is_dir():
        parser.error(f"the photos are not in {PHOTOS}")
    photos = phone_photos()
    with sync_playwright() as playwright, chromium(playwright) as browser, \
            running_server("--server.address", "127.0.0.1", *args.streamlit, timeout=120) as (url, server):
        watcher = Watcher(server.pid)
        watcher.start()
        result = load(browser, url, args, photos, watcher)
        watcher.done.set()
        result["server_exit"] = server.poll()
    report(result, watcher.samples + [result["start"]])


if __name__ == "__main__":
    main()
