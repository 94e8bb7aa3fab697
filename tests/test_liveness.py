"""Whether a browser session still wants its job: fashion.ui.train_tab.liveness with a stand-in runtime and clock."""
from fashion.ui.train_tab import liveness

GRACE_S = 15.0


class Clock:
    """Time that moves only when the test says so."""
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Runtime:
    """Stands in for Streamlit's Runtime: the sessions whose browser is connected."""
    def __init__(self) -> None:
        self.active = {"tab"}

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


def watch() -> tuple:
    clock, runtime = Clock(), Runtime()
    return liveness(lambda: runtime.is_active_session("tab"), GRACE_S, clock), clock, runtime


def test_alive_while_the_session_is_active():
    alive, clock, _ = watch()
    for _ in range(10):
        clock.now += 100           # far longer than the grace, but the session is still there
        assert alive()


def test_alive_through_the_grace_then_dead():
    alive, clock, runtime = watch()
    assert alive()
    runtime.active.clear()        # the tab closes
    clock.now += GRACE_S - 0.1
    assert alive()
    clock.now += 0.1
    assert not alive()


def test_a_session_that_reconnects_within_the_grace_stays_alive():
    alive, clock, runtime = watch()
    assert alive()
    runtime.active.clear()        # a reload drops the connection ...
    clock.now += GRACE_S - 1
    assert alive()
    runtime.active.add("tab")     # ... and the same session comes back
    assert alive()
    runtime.active.clear()
    clock.now += GRACE_S - 1      # past the first grace's end: the reconnection started a new one
    assert alive()
    clock.now += 1
    assert not alive()
