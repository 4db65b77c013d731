"""How calls to the Platform API are retried: urllib3's `Retry`, on the session's adapter.

urllib3 decides what is retried and how often (`total`, `allowed_methods`, `status_forcelist`)
and computes the exponential back-off. `PacedRetry` changes only how it waits between attempts:

- Every retried attempt goes through the run's `Pacer`, like a first attempt, so retries keep to
  the spacing that `RateLimit-Remaining` asks for.
- A 429 holds every thread of the run (`Pacer.back_off`) until the retry, not only this one:
  Heroku's pool is shared, and the other threads' next requests would be refused too.
- `Retry-After` (seconds or an HTTP date, on a 429 or a 5xx) is honoured up to RETRY_AFTER_CAP.
  Beyond the cap the call is not retried: it fails at once as `RetryLater`, the resource keeps
  its stored list, and the next run asks again. Waiting longer would hold every thread of a run
  (or a person's SSO login) for a pool that refills at about 75 calls a minute; a run every
  SYNC_INTERVAL is the better retry.
- No retry starts at or after the call's deadline (the SSO re-fetch's `SSO_REFETCH_TIMEOUT`),
  and `DeadlineTimeout` gives each attempt at most the time left: a call that cannot finish
  before its deadline fails as `RetryLater` instead of running past it.
- The first retry waits `backoff_factor` too, where urllib3 would retry at once: Heroku asks
  clients to back off rather than retry immediately.

Each call gets its own `PacedRetry` (`paced()`: the policy with the client's pacer and the call's
deadline); a policy is any `PacedRetry`, READ_RETRY by default.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Self

from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util import Retry, Timeout

from addons.heroku.pacing import Pacer

logger = logging.getLogger(__name__)

# The longest Retry-After the portal waits for (seconds); see the module docstring.
RETRY_AFTER_CAP = 60.0


# An attempt's socket timeout never goes below this, even with (almost) no time left.
MIN_ATTEMPT_TIMEOUT = 0.001


class PacedRetry(Retry):
    """urllib3's Retry, waiting through a Pacer and never past a deadline (see the module)."""

    pacer: Pacer | None = None
    deadline: float | None = None
    wait: float = 0.0  # what this retry waits before its attempt, set by `increment`

    def paced(self, pacer: Pacer, *, deadline: float | None = None) -> Self:
        """Return this policy for one call: waiting through PACER, no retry from DEADLINE on."""
        retry = self.new()
        retry.pacer, retry.deadline = pacer, deadline
        return retry

    def new(self, **kw) -> Self:
        retry = super().new(**kw)
        retry.pacer, retry.deadline = self.pacer, self.deadline
        return retry

    def get_backoff_time(self) -> float:
        # urllib3 retries a first failure at once; Heroku asks clients to back off first.
        return max(super().get_backoff_time(), self.backoff_factor)

    def retry_after(self, response) -> float | None:
        """Return RESPONSE's Retry-After in seconds, or None: absent, unreadable or ignored."""
        if response is None or not self.respect_retry_after_header:
            return None
        try:
            return self.get_retry_after(response)
        except InvalidHeader:
            return None

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ) -> Self:
        """Return the retry after this failure, or raise MaxRetryError when none should follow.

        With `raise_on_status=False`, urllib3 then hands the last answer (a 429, a 5xx) to the
        caller; a transport error reaches requests, which raises ConnectionError or a Timeout.
        """
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry_after = self.retry_after(response)
        if retry_after is not None and retry_after > RETRY_AFTER_CAP:
            why = f"Retry-After {retry_after:.0f} s is over the cap"
            self._give_up(method, url, _pool, error, why)
        retry.wait = retry_after or retry.get_backoff_time()
        if self.deadline is not None and retry._starts_at() >= self.deadline:
            self._give_up(method, url, _pool, error, "it would start after the deadline")
        self.observe(response, wait=retry.wait)
        cause = f"HTTP {response.status}" if response is not None else type(error).__name__
        logger.info("%s %s failed (%s); retrying in %.2f s", method, _path(url), cause, retry.wait)
        return retry

    def observe(self, response, *, wait: float | None = None) -> None:
        """Tell the pacer what RESPONSE, an answer to this call, says of the rate limit.

        A 429 holds every thread: for WAIT, the wait before this call's retry; or, when it is not
        retried, for its Retry-After if that is within the cap (Heroku named the time).
        """
        if self.pacer is None or response is None:
            return
        self.pacer.observe(response.headers.get("RateLimit-Remaining"))
        if response.status != 429:
            return
        if wait is None:
            wait = self.retry_after(response)
            if wait is None or wait > RETRY_AFTER_CAP:
                return
        self.pacer.back_off(wait)

    def sleep(self, response=None) -> None:
        """Wait before the next attempt: the back-off (a 429's hold), then the pacer's turn."""
        if self.pacer is None:
            time.sleep(self.wait)
            return
        if response is None or response.status != 429:
            self.pacer.sleep(self.wait)  # a 429's wait is the hold that pacer.wait() keeps
        self.pacer.wait()

    def _starts_at(self) -> float:
        if self.pacer is None:
            return time.monotonic() + self.wait
        return max(self.pacer.clock() + self.wait, self.pacer.ready_at())

    def _give_up(self, method, url, pool, error, why: str):
        logger.info("%s %s: no retry: %s", method, _path(url), why)
        raise MaxRetryError(pool, url, error or ResponseError(why))


def _path(url) -> str:
    return str(url or "").split("?", 1)[0]


# The retry policy of Platform API reads (GET, HEAD): three attempts for a transport error, a 5xx
# or a 429, with jittered exponential back-off, and Retry-After up to RETRY_AFTER_CAP.
#
# A connection that could not be made is retried whatever the method (nothing reached Heroku); a
# reset, a read timeout or an error answer only for GET and HEAD. So a call that writes (PATCH,
# POST) is never repeated under this policy; a write that may be repeated says so with a policy
# of its own, e.g. `READ_RETRY.new(allowed_methods=frozenset({"PUT"}))` for an idempotent PUT.
READ_RETRY = PacedRetry(
    total=2,  # three attempts in all
    allowed_methods=frozenset({"GET", "HEAD"}),
    status_forcelist=frozenset({429, *range(500, 600)}),
    other=0,  # TLS and proxy errors are not retried: urllib3 would retry those for any method
    backoff_factor=0.5,  # 0.5 s, then 1 s plus up to 0.5 s of jitter; never above backoff_max
    backoff_max=4.0,
    backoff_jitter=0.5,
    raise_on_status=False,  # the last 429 or 5xx reaches the client, which types it
)


# The retry policies of the Platform API writes the portal makes for a resource (addons.lifecycle),
# each named for the call it governs. Both are READ_RETRY widened to one more method, so a write
# is retried exactly as a read is (transport errors, 5xx, 429; three attempts; Retry-After up to
# the cap), a lost answer included:
#
# - `PATCH /addons/{id}/config` sets the names it carries to the values it carries. The same body
#   sent twice leaves the same config, so a repeat is harmless: it is idempotent.
# - `POST /addons/{id}/actions/provision` (and `/deprovision`) moves the add-on to a final state,
#   and a second call finds it there: idempotent in effect. The caller reads the add-on's state
#   before it repeats an action whose earlier attempt may have reached Heroku (another task run),
#   and takes an add-on already in that state as done.
#
# What still fails after these attempts is retried by the lifecycle task itself, with a back-off
# of minutes (addons.lifecycle.reporting), for as long as Heroku would still accept it.
CONFIG_WRITE_RETRY = READ_RETRY.new(allowed_methods=frozenset({"PATCH"}))
ACTION_RETRY = READ_RETRY.new(allowed_methods=frozenset({"POST"}))


class DeadlineTimeout(Timeout):
    """A urllib3 Timeout that gives each attempt of a call at most the time left before DEADLINE.

    urllib3 clones a call's Timeout for every attempt, retries included, and this clone reads the
    time left: a retry that starts one second before the deadline waits at most one second for
    Heroku, whatever the call's own timeout.
    """

    def __init__(self, limit: float, *, deadline: float, clock: Callable[[], float]):
        super().__init__(connect=limit, read=limit)
        self.limit = limit
        self.deadline = deadline
        self.clock = clock

    def clone(self) -> Timeout:
        seconds = max(min(self.limit, self.deadline - self.clock()), MIN_ATTEMPT_TIMEOUT)
        return Timeout(connect=seconds, read=seconds)
