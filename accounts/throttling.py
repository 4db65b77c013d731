"""Slow down guessing: the client address behind trusted proxies, and a per-address limit of bad
invitation links.

Failed logins (portal and admin) are limited by django-axes, per username and address (settings,
"AXES_*"). The address is django-ipware's reading of the request (`client_ip`): REMOTE_ADDR, or,
behind TRUSTED_PROXY_COUNT proxies that append to X-Forwarded-For, the address the outermost of
them saw. Invitation links are signed, so guessing one is hopeless; django-ratelimit still counts
the bad ones per address in Django's cache (`CACHE_URL`; shared between processes only when the
cache is, e.g. Redis or the database cache) and blocks the address for the rest of the window.
"""

import hashlib
import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from ipware.ip import get_client_ip

from accounts.addresses import normalize_email

logger = logging.getLogger(__name__)

INVITATION_LINK_GROUP = "accounts.invitation-link"


def client_ip(request) -> str:
    """Return the address of the client: REMOTE_ADDR, or the one TRUSTED_PROXY_COUNT proxies saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote_addr = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote_addr
    # Each trusted proxy appends the address it saw; anything further left is the client's say.
    # Not strict: a client may send its own X-Forwarded-For, which the proxies append to.
    address, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    # Fewer addresses than trusted proxies (or none that parses): the connection's address.
    return address or remote_addr


# Where a login attempt carries the address: allauth's portal form posts "login" and authenticates
# with "email"; the admin's form posts and authenticates with "username".
LOGIN_FIELDS = ("login", "email", "username")


# The longest address there is (RFC 5321); django-axes stores the name in 255 characters.
MAX_ADDRESS_LENGTH = 254


def login_username(request, credentials=None) -> str:
    """Return the login email of a login attempt, in its one stored form (for django-axes).

    A name longer than any address is none: it stands as a digest of itself, so that its
    attempts still count together, and django-axes' row can hold it (on PostgreSQL a longer one
    was a 500 on the admin's login page).
    """
    sources = [credentials or {}, getattr(request, "POST", {})]
    for source in sources:
        for field in LOGIN_FIELDS:
            value = source.get(field)
            if value:
                email = normalize_email(str(value))
                if len(email) > MAX_ADDRESS_LENGTH:
                    digest = hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()
                    return f"not-an-address:{digest}"
                return email
    return ""


def _invitation_link_usage(request, *, increment: bool) -> dict:
    cooloff = int(settings.INVITATION_LINK_COOLOFF.total_seconds())
    return get_usage(
        request,
        group=INVITATION_LINK_GROUP,
        key=lambda group, request: client_ip(request),
        rate=f"{settings.INVITATION_LINK_FAILURE_LIMIT}/{cooloff}s",
        increment=increment,
    )


def invitation_links_blocked(request) -> bool:
    """Return True when REQUEST's address has tried too many bad invitation links lately."""
    usage = _invitation_link_usage(request, increment=False)
    # get_usage's own verdict is "more than the limit"; the limit-th failure already blocks.
    return usage["count"] >= usage["limit"] or usage["should_limit"]


def record_bad_invitation_link(request) -> None:
    """Count one bad invitation link against REQUEST's address."""
    _invitation_link_usage(request, increment=True)


def cooloff_minutes(cooloff) -> int:
    """Return the timedelta COOLOFF in whole minutes (at least one), for messages."""
    return max(1, round(cooloff.total_seconds() / 60))


def log_lockout_policy() -> None:
    """Log, once per serving process, how failed logins are locked out (django-axes)."""
    logger.info(
        "Login lockouts (django-axes): %d failures of one username from one address lock them "
        "out for %d minutes",
        settings.AXES_FAILURE_LIMIT,
        cooloff_minutes(settings.AXES_COOLOFF_TIME),
    )
