"""Every URL of the project, asked by every role, answers as tests/authz/url_table.py says.

A refused request changes nothing (no row, no email), and a page answered to anyone but a user of
acme shows nothing of acme's.
"""

import json
import uuid

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success

from addons.models import PartnerAPICall, SyncRun
from tests.authz.url_table import (
    ADMIN_ENTRIES,
    ANONYMOUS,
    NOT_ALLOWED,
    NOT_TRIED,
    OPERATOR,
    OTHER_COMPANY_MANAGER,
    PORTAL_ENTRIES,
    ROLES,
    SSO_ENTRIES,
    SSO_USER,
    admin_model_entries,
)
from tests.authz.world import ACME_MARKERS, sso_login_form

ENTRIES = [*PORTAL_ENTRIES, *SSO_ENTRIES, *ADMIN_ENTRIES, *admin_model_entries(admin.site)]
ENTRY_BY_ROUTE = {entry.route: entry for entry in ENTRIES}
# Apps whose rows a refused request must leave alone (sessions and content types are not state).
STATE_APPS = {"accounts", "addons", "auth", "admin", "django_q", "account", "socialaccount"}
# Roles that are not users of acme: no page may show them anything of acme's (but the operator
# sees every company in the admin).
OUTSIDERS = {ANONYMOUS, OTHER_COMPANY_MANAGER, OPERATOR, SSO_USER}
ADMIN_OUTSIDERS = OUTSIDERS - {OPERATOR}


def url_patterns(resolver=None, prefix=""):
    """Yield (route, name) for every URL pattern of the project, through every include."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def test_every_url_pattern_has_an_entry():
    missing = [
        f"{route!r} (name {name!r})"
        for route, name in url_patterns()
        if route not in ENTRY_BY_ROUTE
    ]
    assert not missing, (
        "These URL patterns have no entry in tests/authz/url_table.py; add one that says what "
        "each role gets:\n  " + "\n  ".join(missing)
    )


def test_every_entry_is_a_url_pattern():
    routes = {route for route, _ in url_patterns()}
    stale = sorted(set(ENTRY_BY_ROUTE) - routes)
    assert not stale, f"Entries of tests/authz/url_table.py that match no URL pattern: {stale}"
    assert len(ENTRY_BY_ROUTE) == len(ENTRIES), "two entries for one route"


def path_for(route: str, kwargs: dict) -> str:
    """Fill ROUTE's converters (or regex groups) with KWARGS."""
    path = route
    for name, value in kwargs.items():
        path, hits = _fill(path, name, str(value))
        assert hits == 1, f"{route}: no place for {name}"
    return "/" + path.removeprefix("^").removesuffix("$").replace("^", "")


def _fill(path: str, name: str, value: str):
    import re

    pattern = rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)"
    return re.subn(pattern, lambda m: value, path)


STATE_TABLES = {
    model._meta.label: model._meta.db_table
    for model in apps.get_models()
    if model._meta.app_label in STATE_APPS and not model._meta.proxy
}


def state():
    """Every row of every table that holds state, as stored, to compare before and after."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip: a digest of each table
            digests = ", ".join(
                f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f"FROM {quote(table)} t)"
                for table in STATE_TABLES.values()
            )
            cursor.execute(f"SELECT {digests}")  # noqa: S608
            return dict(zip(STATE_TABLES, cursor.fetchone(), strict=True))
        rows = {}
        for label, table in STATE_TABLES.items():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            rows[label] = sorted(map(repr, cursor.fetchall()))
        return rows


def client_for(role: str, world) -> Client:
    client = Client()
    if role == SSO_USER:
        # Signed a minute ago, so that the table's own POST /sso/login (signed now) is no replay.
        response = client.post("/sso/login", sso_login_form(world.acme.resource, age=60))
        assert response.status_code == 302, response.content
    elif role != ANONYMOUS:
        client.force_login(world.users[role])
    return client


def request(client, method: str, path: str, entry, world):
    if method == "GET":
        return client.get(path)
    data = entry.data(world)
    if entry.content_type == "application/json" or method in ("PUT", "DELETE"):
        return client.generic(method, path, json.dumps(data), content_type="application/json")
    return client.post(path, data)


def check(response, expected, *, role, method, path, entry) -> list[str]:
    problems = []
    got = response.status_code
    location = response.get("Location", "")
    if got != expected.status or (expected.location and not location.startswith(expected.location)):
        problems.append(f"{method} {path} as {role}: expected {expected}, got {got} {location}")
    outsiders = ADMIN_OUTSIDERS if entry.route.startswith("admin/") else OUTSIDERS
    if role in outsiders and got == 200 and not getattr(response, "streaming", False):
        content = response.content.decode(errors="replace")
        shown = [m for m in ACME_MARKERS if m in content and m not in entry.discloses]
        if shown:
            problems.append(f"{method} {path} as {role}: shows acme's {shown}")
    return problems


def ask(entry, world, role, method, kwargs) -> list[str]:
    """Make one request as ROLE; return what is wrong with its answer (empty when all holds)."""
    expected = entry.answers[method][role]
    if expected == NOT_TRIED:
        return []
    path = path_for(entry.route, kwargs)
    with transaction.atomic():
        client = client_for(role, world)
        before = state() if expected.refused else None
        mail.outbox.clear()
        response = request(client, method, path, entry, world)
        problems = check(response, expected, role=role, method=method, path=path, entry=entry)
        if expected.refused:
            after = state()
            changed = [
                label
                for label in before
                if before[label] != after[label] and label not in entry.logs
            ]
            if changed:
                problems.append(f"{method} {path} as {role} was refused but changed {changed}")
            if mail.outbox:
                problems.append(f"{method} {path} as {role} was refused but sent email")
        transaction.set_rollback(True)
    return problems


@pytest.fixture
def admin_rows(world):
    """A row of each model the world lacks, so that every admin change page has one to show."""
    now = timezone.now()
    for model, success in ((Success, True), (Failure, False)):
        model.objects.create(
            id=uuid.uuid4().hex,
            name=f"task-{success}",
            func="addons.tasks.sync_stale",
            started=now,
            stopped=now,
            success=success,
        )
    OrmQ.objects.create(key="default", payload="x", lock=now)
    Group.objects.create(name="operators")
    SyncRun.objects.create(trigger=SyncRun.Trigger.CRON)
    PartnerAPICall.objects.create(
        addon=world.acme.addon, method="POST", path="/heroku/resources", status_code=200
    )
    if not Schedule.objects.exists():
        Schedule.objects.create(func="addons.tasks.sync_stale", name="authz")
    # django-axes' records of logins (the login throttle).
    attempt = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "x@example.com"}
    AccessAttempt.objects.create(**attempt, failures_since_start=1, get_data="", post_data="")
    AccessLog.objects.create(**attempt)
    AccessFailureLog.objects.create(**attempt)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.route or "/" for e in ENTRIES])
def test_each_role_gets_the_answer_of_the_table(entry, world, admin_rows):
    problems = []
    for role in ROLES:
        for method in entry.answers:
            problems += ask(entry, world, role, method, entry.kwargs(world))
    assert not problems, "\n".join(problems)


FOREIGN = [entry for entry in ENTRIES if entry.foreign_kwargs]


@pytest.mark.parametrize("entry", FOREIGN, ids=[e.route for e in FOREIGN])
def test_an_object_of_another_company_is_not_found(entry, world):
    """Rival's object in a URL of acme's, asked by a role that may open acme's: refused (404 for a
    company user, so that ids leak nothing), and nothing changes."""
    role = entry.foreign_role
    problems = []
    for method, answers in entry.answers.items():
        if answers[role] == NOT_ALLOWED:
            continue
        foreign = type(entry)(
            route=entry.route,
            answers={method: {role: entry.foreign_answer}},
            data=entry.data,
            content_type=entry.content_type,
        )
        problems += ask(foreign, world, role, method, entry.foreign_kwargs(world))
    assert not problems, "\n".join(problems)
