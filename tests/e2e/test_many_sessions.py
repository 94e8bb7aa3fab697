"""Several people opening the app at once on a fresh server: every one of them gets the whole app.

Two script threads importing the same heavy module at once once handed one of them a half-imported
pandas (Plotly's validators: "partially initialized module 'pandas'"), and 4 of 6 pages showed a traceback.
"""
from .browser import FIRST_LOAD_MS, VIEWPORT, keyed, running_app, tab, wait_for_script

SESSIONS = 6


def test_six_first_visits_at_once_all_get_the_whole_app(browser):
    with running_app(timeout=120) as url:
        pages = [browser.new_page(viewport=VIEWPORT) for _ in range(SESSIONS)]
        for page in pages:                       # no waiting in between: the sessions' first runs overlap
            page.goto(url, wait_until="commit")
        for page in pages:
            wait_for_script(page, FIRST_LOAD_MS)
        errors = [page.get_by_test_id("stException").all_inner_texts() for page in pages]
        controls = [keyed(page, "classify_upload").count() + keyed(page, "train_start").count() for page in pages]
        mistakes = [tab(page, "Mistakes").count() for page in pages]
        for page in pages:
            page.close()
    assert errors == [[]] * SESSIONS
    assert controls == [2] * SESSIONS and mistakes == [1] * SESSIONS
