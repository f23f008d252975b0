"""`make run`'s background thread: a failing chore (a moto timeout in a snapshot) is retried, never fatal."""

from __future__ import annotations

import itertools
import threading

import pytest

from devtools.local_stack import Chore, housekeeping

TICK = 0.01
WAIT = 10.0  # an upper bound for a few ticks on a busy machine, not an expected duration


def test_a_chore_that_fails_once_runs_again_on_a_later_tick(capsys: pytest.CaptureFixture[str]) -> None:
    runs: list[str] = []
    ran_after_failure = threading.Event()

    def snapshot() -> None:
        if not runs:
            runs.append("failed")
            raise TimeoutError("moto did not answer in 5 s")
        runs.append("ok")
        ran_after_failure.set()

    ticks = 0
    other_runs_after = threading.Event()

    def publish_due() -> None:
        nonlocal ticks
        ticks += 1
        if ran_after_failure.is_set():
            other_runs_after.set()

    stopping = threading.Event()
    worker = threading.Thread(target=housekeeping, daemon=True,
                              args=(stopping, [Chore("snapshot", TICK, snapshot), Chore("publish", TICK, publish_due)]),
                              kwargs={"tick": TICK})
    worker.start()
    try:
        assert ran_after_failure.wait(WAIT), "the chore never ran again after it failed"
        assert other_runs_after.wait(WAIT), "the other chore stopped too"
        assert worker.is_alive()
    finally:
        stopping.set()
        worker.join(WAIT)
    assert not worker.is_alive()
    assert runs[:2] == ["failed", "ok"]
    logged = capsys.readouterr().err
    assert "snapshot failed (TimeoutError: moto did not answer in 5 s)" in logged


def test_repeated_failures_back_off_up_to_the_chore_period() -> None:
    now = [0.0]
    attempts: list[float] = []
    stopping = threading.Event()

    def fails() -> None:
        attempts.append(now[0])
        if len(attempts) == 6:
            stopping.set()
        raise OSError("connection reset")

    class Ticks(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            now[0] += 1  # each tick is a second of the fake clock
            return stopping.is_set()

    housekeeping(Ticks(), [Chore("snapshot", 15, fails)], tick=1, clock=lambda: now[0])
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert attempts[0] == 15
    assert gaps == [1, 2, 4, 8, 15]
