"""FetchWindow: a bounded set of fetches under way, handed back to the writer as they complete."""

from addons.access.fetch import FetchJob, FetchWindow
from addons.heroku.client import ResourceCredentials


def job_without_token(n: int) -> FetchJob:
    """A job whose fetch ends at once, with no request: the resource has no access token."""
    return FetchJob(
        resource=f"resource {n}", credentials=ResourceCredentials(access_token=""), cache=None
    )


def test_the_window_holds_twice_its_threads_and_hands_back_every_result():
    with FetchWindow(client=None, concurrency=2) as window:
        assert window.size == 4 and not window.full() and len(window) == 0
        for n in range(4):
            window.submit(job_without_token(n))
        assert window.full()

        results = []
        while window:
            results += window.completed(timeout=None)

    assert sorted(result.job.resource for result in results) == [f"resource {n}" for n in range(4)]
    assert all("no OAuth access token" in result.error for result in results)


def test_completed_returns_nothing_when_its_wait_ends_first():
    with FetchWindow(client=None, concurrency=1) as window:
        assert window.completed(timeout=0) == []
