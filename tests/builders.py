"""The values and small builders the fixtures use, for tests that need one more of a kind.

The fixtures themselves live in the conftest files (tests/conftest.py first); a test imports from
here only to make something the fixtures do not give it, e.g. a second provider or the form Heroku
posts to log a user in by SSO.
"""

import time

from django.utils import timezone

from accounts import services
from accounts.models import User
from addons.sso.tokens import legacy_token, user_scoped_token

# The secrets of the `addon` fixture, as Heroku would generate them.
CLIENT_SECRET = "client-secret-for-tests"
SSO_SALT = "kL9vQ2sX7mN4pR8tW1yZ5bC3dF6gH0jA"  # 32 characters

# The Heroku user on the access list of the `resource` fixture (the `grant` fixture).
HEROKU_USER_ID = "7d2f0b6e-5c1a-4a8e-9f3b-2e6d8c4a1b09"
HEROKU_EMAIL = "dev@example.com"


def make_provider(email: str, password: str, *, joined: bool = True, **extra) -> User:
    """Return a new person whose address EMAIL is verified and who has joined the provider
    program (or, with JOINED false, has not yet)."""
    if joined:
        extra.setdefault("joined_provider_program_at", timezone.now())
    user = User.objects.create_user(email, password, **extra)
    services.mark_email_verified(user=user)
    return user


def make_unverified_person(email: str, password: str, **extra) -> User:
    """Return a person who signed up as EMAIL and never followed the verification link."""
    user = User.objects.create_user(email, password, **extra)
    services.record_unverified_email(user=user)
    return user


def sso_form(
    resource,
    *,
    user_id=HEROKU_USER_ID,
    email=HEROKU_EMAIL,
    timestamp=None,
    salt=SSO_SALT,
    nav_data="eyJhcHBuYW1lIjoiaGFwcHktYXBwIn0=",
):
    """Return the form Heroku would post to log USER_ID in to RESOURCE, signed with SALT."""
    resource_id = str(resource.uuid if hasattr(resource, "uuid") else resource)
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "resource_id": resource_id,
        "timestamp": timestamp,
        "user_scoped_resource_token": user_scoped_token(
            resource_id=resource_id, salt=salt, timestamp=timestamp, user_id=user_id, email=email
        ),
        "resource_token": legacy_token(resource_id=resource_id, salt=salt, timestamp=timestamp),
        "email": email,
        "user_id": user_id,
        "app": "happy-app",
        "context_app": "happy-app",
        "nav-data": nav_data,
    }
