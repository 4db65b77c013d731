"""Fixtures of the Heroku client tests: a clock that moves only when the code under test sleeps."""

import pytest


class FakeClock:
    """A monotonic clock that advances only when the code under test sleeps (or never, FROZEN).

    A frozen clock keeps a pacer's hold in force however long anyone slept: each later request
    shows the whole hold it was made to wait.
    """

    def __init__(self, *, frozen: bool = False):
        self.now = 1000.0
        self.frozen = frozen
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        if not self.frozen:
            self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def frozen_clock():
    return FakeClock(frozen=True)
