"""Slow down guessing: the client address behind trusted proxies, and a per-address limit of bad
invitation links.

Failed logins (portal and admin) are limited by django-axes, per username and address (settings,
"AXES_*"). Invitation links are signed, so guessing one is hopeless; the limit keeps a scanner from
trying at all, with Django's cache framework as the counter (`CACHE_URL`; shared between processes
only when the cache is, e.g. Redis or the database cache).
"""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """Return the address of the client: REMOTE_ADDR, or the one TRUSTED_PROXY_COUNT proxies saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it saw; anything further left is the client's say.
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def login_username(request, credentials=None) -> str:
    """Return the login email of a login attempt, lower-cased as logins are (for django-axes)."""
    # Django's login forms (portal and admin) send the email in the "username" field.
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get("username") or "").strip().lower()


def _invitation_failures_key(request) -> str:
    return f"throttle:invitation-link:{client_ip(request)}"


def invitation_links_blocked(request) -> bool:
    """Return True when REQUEST's address has tried too many bad invitation links lately."""
    failures = cache.get(_invitation_failures_key(request), 0)
    return failures >= settings.INVITATION_LINK_FAILURE_LIMIT


def record_bad_invitation_link(request) -> None:
    """Count one bad invitation link against REQUEST's address, for INVITATION_LINK_COOLOFF."""
    key = _invitation_failures_key(request)
    timeout = int(settings.INVITATION_LINK_COOLOFF.total_seconds())
    # add() starts the window at the first failure; incr() is atomic on Redis and memcached.
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)


def cooloff_minutes(cooloff) -> int:
    """Return the timedelta COOLOFF in whole minutes (at least one), for messages."""
    return max(1, round(cooloff.total_seconds() / 60))
