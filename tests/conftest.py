"""Fixtures shared by the whole suite, named by the state they put the world in."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

from accounts.models import Company, CompanyUser, User

pytest_plugins = ["tests.fixtures.tickets", "tests.fixtures.smtp"]

# Property-based tests explore new random inputs on a developer's machine; in CI they replay a fixed
# sequence, so that a red CI run always means a change in the code, never a new draw.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with an empty cache: the invitation-link throttle counts in it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return "correct horse battery staple"


@pytest.fixture
def provider(db, password):
    """A person who has joined the provider program."""
    from django.utils import timezone

    return User.objects.create_user(
        "manager@example.com",
        password,
        name="Mia Manager",
        joined_provider_program_at=timezone.now(),
    )


@pytest.fixture
def company(db):
    return Company.objects.create(name="Acme Add-ons", slug="acme")


@pytest.fixture
def manager(company, provider):
    """A company user holding every permission."""
    return CompanyUser.objects.create(company=company, user=provider)


@pytest.fixture
def fake_heroku(settings):
    """A loopback fake of api.heroku.com and id.heroku.com, with settings pointing at it."""
    from addons.heroku.fake import FakeHeroku

    with FakeHeroku() as fake:
        settings.HEROKU_API_URL = fake.url
        settings.HEROKU_ID_URL = fake.url
        yield fake
