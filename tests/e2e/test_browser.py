"""A new user's first visit, in headless Chromium against the real server: load, train, mistakes, classify.

The tests share one page (one Streamlit session) and run in file order, as one journey. Every wait is
for a condition on the page, with a generous timeout: the CI machine has two cores.
"""
import re

import pytest
from playwright.sync_api import expect

from fashion.classes import CLASS_NAMES

from .browser import (
    CHROMIUM,
    LOSS_POINTS_JS,
    STEP_JS,
    first_photo,
    keyed,
    open_tab,
    result_panel,
    start_training,
    tab,
    upload,
    wait_for_script,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing: `make test` installs it with apt (apt-get install chromium)"),
]

VERDICT = re.compile(r"(" + "|".join(map(re.escape, CLASS_NAMES)) + r") · \d+%")
TRAINING_MS = 120_000      # a step, an evaluation, or filing a stopped run, on two busy cores
RERUN_MS = 60_000          # a script rerun after a click: classifying a photo, filtering 10,000 results
TROUSERS = [(100, 30), (180, 30), (195, 250), (155, 250), (140, 90), (125, 250), (85, 250)]   # on a 280 px canvas


def assert_healthy(page) -> None:
    """No Streamlit exception box on the page and nothing logged as an error in the browser console."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.console_errors == [], page.console_errors


def wait_until(page, condition: str, *args, timeout: float = TRAINING_MS) -> None:
    """Wait until a JavaScript condition on the page holds; it gets `args` as an array."""
    page.wait_for_function(condition, arg=list(args), timeout=timeout)


def mistake_count(page) -> int:
    """The number in the grid's "N mistakes · showing …" caption."""
    caption = keyed(page, "mistakes_images").get_by_test_id("stCaptionContainer").filter(
        has_text=re.compile(r"^[\d,]+ mistakes"))
    return int(re.match(r"[\d,]+", caption.inner_text()).group().replace(",", ""))


def choose(page, key: str, option: str) -> None:
    """Pick an option of a selectbox: open its list, click the option with exactly that name."""
    choose_in(keyed(page, key), option)


def choose_in(area, option: str) -> None:
    """Pick an option of the selectbox inside `area` (the option list opens at the page's top level)."""
    area.get_by_role("combobox").click()
    area.page.get_by_role("option", name=option, exact=True).click()


def draw(page, points, side: int = 280) -> None:
    """Trace a closed outline with the mouse on the sketch canvas (Fabric's top canvas takes the events).

    The points are for a canvas `side` pixels wide; they are scaled to the real one.
    """
    canvas = keyed(page, "classify_canvas").locator("canvas.upper-canvas")
    box = canvas.bounding_box()
    scale = box["width"] / side
    at = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:] + at[:1]:
        page.mouse.move(x, y, steps=8)                 # intermediate moves, as a real drag sends them
    page.mouse.up()


def test_page_loads_without_errors(page):
    expect(page.get_by_role("heading", name="Fashion-MNIST, live")).to_be_visible()
    for label in ("Train a model", "Mistakes", "Classify your clothes"):
        expect(tab(page, label)).to_be_visible()
    assert_healthy(page)


def test_train_with_defaults_then_stop(page):
    open_tab(page, "Train a model")
    progress = keyed(page, "train_progress")
    expect(progress).to_contain_text("Press Start")
    start_training(page)
    expect(keyed(page, "train_stop").get_by_role("button")).to_be_enabled()
    expect(progress.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=TRAINING_MS)
    wait_until(page, f"{LOSS_POINTS_JS} > 0")
    step, points = page.evaluate(STEP_JS), page.evaluate(LOSS_POINTS_JS)
    # A look at another tab does not pause anything: back on Train, the progress text and the curves move on.
    open_tab(page, "Mistakes")
    open_tab(page, "Train a model")
    wait_until(page, f"([step, points]) => {STEP_JS} > step && {LOSS_POINTS_JS} > points", step, points)
    # Past the first evaluation (step 100), so that the stopped run is kept in the history.
    wait_until(page, f"{STEP_JS} > 100")
    # Under the curves, the model's answers on a dozen test images and its first filters.
    expect(keyed(page, "train_live_predictions").locator("img")).to_have_count(13, timeout=TRAINING_MS)

    keyed(page, "train_stop").get_by_role("button").click()
    expect(progress).to_contain_text("Press Start", timeout=TRAINING_MS)  # the live area is free again
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled()
    assert_healthy(page)


def test_the_stopped_run_is_listed_under_your_runs(page):
    expect(page.get_by_role("heading", name="Your runs")).to_be_visible(timeout=TRAINING_MS)
    expect(page.get_by_role("strong").filter(has_text=re.compile(r"^Run 1 · "))).to_be_visible()
    # The sidebar's model picker offers it at once, without another click first.
    page.get_by_test_id("stSidebar").get_by_role("combobox").click()
    expect(page.get_by_role("option", name=re.compile(r"^Run 1 · "))).to_be_visible()
    page.keyboard.press("Escape")
    assert_healthy(page)


def test_a_run_can_be_chosen_for_the_other_tabs(page):
    page.get_by_role("button", name="Use in Mistakes & Classify").click()
    picker = page.get_by_test_id("stSidebar").get_by_role("combobox")
    expect(picker).to_have_value(re.compile(r"^Run 1 · "), timeout=RERUN_MS)
    choose_in(page.get_by_test_id("stSidebar"), "Shipped model")   # the later tests expect the trained model
    expect(picker).to_have_value("Shipped model", timeout=RERUN_MS)
    assert_healthy(page)


def test_a_second_run_finishes_and_is_compared_with_the_first(page):
    open_tab(page, "Train a model")
    epochs = keyed(page, "train_epochs").locator("input")
    epochs.fill("1")                                  # one epoch is enough to finish and compare
    epochs.press("Enter")
    wait_for_script(page)
    start_training(page)
    # Left alone, the run finishes by itself, and its final charts stay on screen.
    expect(keyed(page, "train_progress")).to_contain_text("Run finished", timeout=3 * TRAINING_MS)
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled()
    expect(keyed(page, "train_stop").get_by_role("button")).to_be_disabled()
    history = keyed(page, "train_history")
    expect(history.get_by_role("strong").filter(has_text=re.compile(r"^Run 2 · "))).to_be_visible()
    # The comparison chart draws both runs' test-accuracy curves, and the table has a row for each.
    wait_until(page, "() => (document.querySelector('.st-key-train_history .js-plotly-plot')?.data ?? [])"
                     ".filter(t => t.showlegend !== false).length === 2")
    expect(history.get_by_test_id("stDataFrame")).to_be_visible()
    # The newest run replayed: its confusion matrix and per-class bars at the chosen evaluation.
    history.get_by_text("Replay a run").click()
    expect(keyed(page, "train_replay").locator(".js-plotly-plot")).to_have_count(2, timeout=RERUN_MS)
    assert_healthy(page)


def test_a_reload_keeps_the_runs_and_the_run_in_progress(page):
    assert re.search(r"[?&]user=[\w-]{22,}", page.url), page.url      # the person's id is in the URL
    epochs = keyed(page, "train_epochs").locator("input")
    epochs.fill("5")                # long enough to be still training after the reload and the checks below
    epochs.press("Enter")
    wait_for_script(page)
    start_training(page)
    page.reload()
    wait_for_script(page)
    # The reloaded page shows the same run, still training, and both finished runs.
    expect(keyed(page, "train_stop").get_by_role("button")).to_be_enabled(timeout=RERUN_MS)
    step = page.evaluate(STEP_JS)
    wait_until(page, f"([step]) => {STEP_JS} > step", step)
    history = keyed(page, "train_history")
    for number in (1, 2):
        expect(history.get_by_role("strong").filter(has_text=re.compile(rf"^Run {number} · "))).to_be_visible()
    keyed(page, "train_stop").get_by_role("button").click()
    expect(keyed(page, "train_start").get_by_role("button")).to_be_enabled(timeout=TRAINING_MS)
    assert_healthy(page)


def test_mistakes_grid_and_filters(page):
    open_tab(page, "Mistakes")
    grid = keyed(page, "mistakes_images")
    expect(grid.locator("img")).to_have_count(40)    # a full first page of tiles
    everything = mistake_count(page)

    choose(page, "mistakes_true", "Shirt")
    expect(grid).not_to_contain_text(f"{everything:,} mistakes", timeout=RERUN_MS)
    wait_for_script(page)
    shirts = mistake_count(page)
    assert 0 < shirts < everything
    choose(page, "mistakes_pred", "T-shirt/top")
    expect(grid).not_to_contain_text(f"{shirts:,} mistakes", timeout=RERUN_MS)
    wait_for_script(page)
    assert 0 < mistake_count(page) < shirts
    # Every tile's caption reads "Shirt → T-shirt/top".
    captions = grid.get_by_test_id("stCaptionContainer").filter(has_text="→")
    expect(captions.first).to_be_visible()
    assert all(text.startswith("Shirt → T-shirt/top") for text in captions.all_inner_texts())
    assert_healthy(page)


# Where a cell of the confusion matrix is on screen: Plotly's axes turn (column, row) into pixels.
CELL_JS = """([col, row]) => {
    const chart = document.querySelector('.st-key-mistakes_confusion .js-plotly-plot');
    const {xaxis, yaxis} = chart._fullLayout;
    const plot = chart.querySelector('.nsewdrag').getBoundingClientRect();
    return [plot.left + xaxis.c2p(col), plot.top + yaxis.c2p(row)];
}"""


def test_a_confusion_matrix_click_filters_the_grid(page):
    open_tab(page, "Mistakes")
    chart = keyed(page, "mistakes_confusion")
    chart.scroll_into_view_if_needed()
    expect(chart.locator(".nsewdrag")).to_be_visible()
    true, predicted = "Pullover", "Coat"
    x, y = page.evaluate(CELL_JS, [CLASS_NAMES.index(predicted), CLASS_NAMES.index(true)])
    page.mouse.click(x, y)
    expect(keyed(page, "mistakes_true").get_by_role("combobox")).to_have_value(true, timeout=RERUN_MS)
    expect(keyed(page, "mistakes_pred").get_by_role("combobox")).to_have_value(predicted)
    wait_for_script(page)
    captions = keyed(page, "mistakes_images").get_by_test_id("stCaptionContainer").filter(has_text="→")
    expect(captions.first).to_contain_text(f"{true} → {predicted}")
    assert all(text.startswith(f"{true} → {predicted}") for text in captions.all_inner_texts())
    assert_healthy(page)


def test_classify_an_uploaded_photo(page, photos):
    open_tab(page, "Classify your clothes")
    open_tab(page, "Upload a photo")
    result = result_panel(page)
    upload(page, first_photo(photos, "trouser"))
    expect(result.get_by_role("heading")).to_have_text(VERDICT, timeout=RERUN_MS)
    expect(keyed(page, "classify_views").locator("img")).to_be_visible()      # the 28x28 view
    expect(result.get_by_test_id("stPlotlyChart")).to_be_visible()           # the ten probabilities
    assert_healthy(page)


def test_classify_a_camera_shot(page, photos):
    open_tab(page, "Classify your clothes")
    open_tab(page, "Take a photo")
    result = result_panel(page)
    expect(result).to_contain_text("Take a photo to classify it", timeout=RERUN_MS)
    # The browser's fake webcam films a photo of trousers (see the `browser` fixture).
    keyed(page, "classify_camera").get_by_role("button", name="Take Photo").click(timeout=RERUN_MS)
    expect(result.get_by_role("heading")).to_have_text(VERDICT, timeout=RERUN_MS)
    expect(keyed(page, "classify_views").filter(visible=True).locator("img")).to_be_visible()
    expect(result.get_by_test_id("stPlotlyChart")).to_be_visible()
    assert_healthy(page)


def test_sketch_trousers_then_clear(page):
    open_tab(page, "Classify your clothes")
    open_tab(page, "Sketch an item")
    result = result_panel(page)
    expect(result).to_contain_text("Draw something", timeout=RERUN_MS)
    draw(page, TROUSERS)
    expect(result.get_by_role("heading")).to_contain_text("Trouser ·", timeout=RERUN_MS)

    keyed(page, "classify_canvas").locator("canvas.upper-canvas").hover()   # the toolbar shows on hover
    keyed(page, "classify_canvas").get_by_role("button", name="Reset canvas & history").click()
    expect(result).to_contain_text("Draw something", timeout=RERUN_MS)
    expect(result.get_by_role("heading")).to_have_count(0)
    assert_healthy(page)


def test_a_bad_file_gets_a_friendly_sentence(page):
    open_tab(page, "Classify your clothes")
    open_tab(page, "Upload a photo")
    upload(page, {"name": "bad.png", "mimeType": "image/png", "buffer": b"just some text, not pixels"})
    result = result_panel(page)
    expect(result).to_contain_text("not an image we can read", timeout=RERUN_MS)
    expect(result.locator("img")).to_have_count(0)
    assert_healthy(page)


def test_inside_the_network_and_the_nearest_training_images(page, photos):
    open_tab(page, "Classify your clothes")
    open_tab(page, "Upload a photo")
    upload(page, first_photo(photos, "trouser"))
    result = result_panel(page)
    expect(result.get_by_role("heading")).to_have_text(VERDICT, timeout=RERUN_MS)
    result.get_by_text("Inside the network").click()
    # The shipped pair's first network: a stem, three stages, the first filters.
    expect(keyed(page, "inside_network").locator("img")).to_have_count(5, timeout=RERUN_MS)
    # The shipped model's index of features is built once, when asked, in the background: a minute or two.
    keyed(page, "classify_find_neighbours").get_by_role("button").click()
    expect(keyed(page, "classify_neighbours").locator("img")).to_have_count(8, timeout=4 * TRAINING_MS)
    expect(keyed(page, "classify_neighbours")).to_contain_text("distance")
    assert_healthy(page)


# The embedding map's plotting area on screen, and how many traces it draws.
MAP_JS = """() => {
    const chart = document.querySelector('.st-key-embedding_map .js-plotly-plot');
    const area = chart?.querySelector('.nsewdrag')?.getBoundingClientRect();
    return area ? [area.left, area.top, area.width, area.height, chart.data.length] : null;
}"""


def test_a_lasso_on_the_embedding_map_shows_those_images(page):
    open_tab(page, "Mistakes")
    page.get_by_text("The embedding map").click()
    draw = keyed(page, "mistakes_draw_map").get_by_role("button")
    # Without ../shared/photos the neighbours test above is skipped, and the map's index is not built yet.
    expect(keyed(page, "embedding_map").or_(draw)).to_be_visible(timeout=RERUN_MS)
    if draw.is_visible():
        draw.click()
    # Ten classes, and the star of the last Classify input (the sketch, or the photo).
    wait_until(page, f"({MAP_JS})()?.[4] === 11", timeout=4 * TRAINING_MS)
    # The map's place is read once the page has settled: a rerun still drawing the tab can move it, and the
    # lasso then lands on the confusion matrix above it.
    wait_for_script(page)
    keyed(page, "embedding_map").scroll_into_view_if_needed()
    left, top, width, height, _ = page.evaluate(MAP_JS)
    ring = [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7), (0.3, 0.31)]
    page.mouse.move(left + width * ring[0][0], top + height * ring[0][1])
    page.mouse.down()
    for x, y in ring[1:]:
        page.mouse.move(left + width * x, top + height * y, steps=10)
    page.mouse.up()
    grid = keyed(page, "mistakes_images")
    expect(grid).to_contain_text("images picked on the map", timeout=RERUN_MS)
    wait_for_script(page)
    expect(grid.locator("img").first).to_be_visible()
    keyed(page, "mistakes_clear_map").get_by_role("button").click()
    expect(grid).to_contain_text(re.compile(r"[\d,]+ mistakes"), timeout=RERUN_MS)
    wait_for_script(page)
    # The detail view's own look inside the network, for the chosen mistake.
    keyed(page, "mistakes_detail_view").get_by_text("Inside the network").click()
    expect(keyed(page, "inside_network").locator("img")).to_have_count(5, timeout=RERUN_MS)
    assert_healthy(page)
