"""Driving the real app in a real browser: shared by the end-to-end tests and scripts/screenshots.py.

Starting the server, opening headless Chromium, and the few steps a person takes (open a tab, start
training, upload a photo) live here once, so the tests and the screenshots walk the same way.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT.parent / "shared" / "photos"       # as in tests/conftest.py, for the screenshot script
# Debian's Chromium (`make test` installs it); E2E_CHROMIUM points elsewhere, e.g. to try a missing one.
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# Debian's Chromium as root in a container needs --no-sandbox; the rest keep it from phoning home
# (and from spending the two cores on anything but the page).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
# The first script run loads 70,000 images and classifies the 10,000 test images on two shared cores.
FIRST_LOAD_MS = 180_000


def free_port() -> int:
    """A port nobody listens on right now: the OS picks one for a socket bound to port 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float) -> None:
    """Poll Streamlit's health endpoint until it answers "ok"; fail at once if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass                       # not listening yet
        time.sleep(0.25)
    raise TimeoutError(f"the app did not answer on {url} within {timeout:.0f} s")


@contextmanager
def running_app(*extra_args: str, timeout: float = 60) -> Iterator[str]:
    """Start `streamlit run app.py` on a free port, yield its URL, and stop it afterwards.

    `extra_args` are more Streamlit options. The server's output goes to a temporary file, whose path
    is in the error if it never comes up.
    """
    with running_server(*extra_args, timeout=timeout) as (url, _):
        yield url


@contextmanager
def running_server(*extra_args: str, timeout: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """As running_app, yielding the URL and the server's process (to watch its memory, say)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # No file watcher (as in .streamlit/config.toml): a busy folder overflowed it and reloaded modules mid-test.
    command = [app_python(), "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", *extra_args]
    log = tempfile.NamedTemporaryFile("w+b", prefix="streamlit-e2e-", suffix=".log", delete=False)
    # Each server keeps its runs in a store of its own, gone with it: no page starts with another's runs.
    store = tempfile.TemporaryDirectory(prefix="fashion-runs-")
    env = {**os.environ, "FASHION_RUN_STORE": store.name}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_until_healthy(url, server, timeout)
        except Exception as error:
            raise RuntimeError(f"{error}; server log: {log.name}") from error
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        store.cleanup()


@contextmanager
def chromium(playwright, camera: Path | None = None) -> Iterator:
    """Headless Debian Chromium (Playwright's own browser download is not used).

    With `camera`, a .y4m video file, the browser's webcam is a fake one that films that file, and
    pages may use it without asking.
    """
    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
    try:
        yield browser
    finally:
        browser.close()


def open_app(browser, url: str):
    """A new page (a new Streamlit session) on the app, with its console errors collected.

    The errors are in `page.console_errors`, a list of strings, for the tests to check.
    """
    page = browser.new_page(viewport=VIEWPORT, permissions=["camera"])
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(
        f"{message.text} ({message.location.get('url', '')})"))
    page.on("pageerror", lambda error: page.console_errors.append(f"uncaught: {error}"))
    page.goto(url)
    wait_for_script(page, FIRST_LOAD_MS)
    return page


# --- What a person does, as locators and steps ------------------------------------------------------

def wait_for_script(page, timeout_ms: float = 60_000) -> None:
    """Wait until the page shows its tabs and Streamlit has finished running the script."""
    expect(tab(page, "Train a model")).to_be_visible(timeout=timeout_ms)
    # While the script runs, the app shows a "Running..." status widget in the header, and marks the
    # elements of the previous run as stale (drawn faded) until the new run has replaced them.
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout_ms)
    expect(page.locator("[data-stale=true]")).to_have_count(0, timeout=timeout_ms)


def tab(page, label: str):
    return page.get_by_role("tab", name=label, exact=True)


def open_tab(page, label: str) -> None:
    tab(page, label).click()
    expect(tab(page, label)).to_have_attribute("aria-selected", "true")


def keyed(page, key: str):
    """A widget or container by its Streamlit key: Streamlit gives it the CSS class st-key-<key>."""
    return page.locator(f".st-key-{key}")


def start_training(page) -> None:
    """Press Start with whatever settings are shown, and wait for the first progress bar text."""
    keyed(page, "train_start").get_by_role("button").click()
    # Stop turns on once the click's rerun has drawn the new job (the last run's charts say "step" too).
    expect(keyed(page, "train_stop").get_by_role("button")).to_be_enabled(timeout=120_000)
    expect(keyed(page, "train_progress")).to_contain_text("step", timeout=120_000)


# JavaScript expressions for page.wait_for_function, read from the live training area.
STEP_JS = ("parseInt(document.querySelector('.st-key-train_progress')?.innerText"
           ".match(/step (\\d+)\\//)?.[1] ?? '-1')")
# The live chart's loss trace has one point per step. Streamlit re-creates the Plotly div now and
# then, so for a moment it may have no data yet: that counts as zero points.
LOSS_POINTS_JS = "(document.querySelector('.st-key-train_progress .js-plotly-plot')?.data?.[0]?.x?.length ?? 0)"


def upload(page, file) -> None:
    """Put a file (a path, or a Playwright file payload dict) into the Classify tab's uploader."""
    keyed(page, "classify_upload").locator("input[type=file]").set_input_files(file)


def result_panel(page):
    """The Classify tab's result panel in the open source tab (upload, camera or sketch).

    Each source tab has its own panel with the same key. Right after a switch, the old tab's panel
    stays in the page, hidden, until the rerun ends: only the visible one is the answer.
    """
    return keyed(page, "classify_result").filter(visible=True)


def photo_as_video(photo: Path, out: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """A one-frame .y4m video of a photo, for Chromium's fake webcam.

    The photo keeps its proportions: it is scaled to fit and the rest of the frame repeats its edges,
    as if the camera saw a little more of the same floor.
    """
    import cv2
    import numpy as np
    from PIL import Image, ImageOps

    rgb = np.asarray(ImageOps.exif_transpose(Image.open(photo)).convert("RGB"))
    width, height = size
    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    fitted = cv2.resize(rgb, (int(rgb.shape[1] * scale), int(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    top, left = (height - fitted.shape[0]) // 2, (width - fitted.shape[1]) // 2
    frame = cv2.copyMakeBorder(fitted, top, height - fitted.shape[0] - top, left, width - fitted.shape[1] - left,
                               cv2.BORDER_REPLICATE)
    yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)     # planar Y, then U and V at half size
    out.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\nFRAME\n".encode() + yuv.tobytes())
    return out


def first_photo(folder: Path, kind: str) -> Path:
    """The first photo of a kind ("trouser", "dress", …) in the shared photo folder."""
    return sorted((folder / kind).glob("*.jpg"))[0]
