"""Secrets appear nowhere but in the one answer that reveals them to a permitted user, and are
stored encrypted (or hashed) at rest.

The secrets: resource access and refresh tokens, provisioning grant codes, the manifest password
(and the Basic credentials made from it), the SSO salt (and the SSO tokens signed with it), the
OAuth client secret and ticket intake tokens. The places that may show one, each to a permitted
user only:

- the answer to POST /addons/<slug>/oauth-secret/ and /oauth-secret/reset/ (oauth_secrets): the
  OAuth client secret;
- the download of POST /addons/<slug>/manifest/export/ (manage_manifests): the manifest password
  and the SSO salt;
- the output of `manage.py set_intake_token` (an operator at the shell): the new intake token.

Everything else is searched here: every log record (every logger at DEBUG, SQL included), every
response of the main flows, every email, every exception the Heroku clients raise, the output of
the commands, and every row of the database as stored.
"""

import base64
import io
import json
import logging
import traceback

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.errors import HerokuAPIError
from addons.heroku.oauth import OAuthClient
from addons.models import Addon, AddonResource
from tests.addons.partner_api.partner_api import Heroku, basic_auth, provision_body
from tests.authz.world import (
    ACME_ACCESS_TOKEN,
    ACME_API_PASSWORD,
    ACME_INTAKE_TOKEN,
    ACME_OAUTH_CLIENT_SECRET,
    ACME_REFRESH_TOKEN,
    ACME_SSO_SALT,
    DASHBOARD_USER_EMAIL,
    DASHBOARD_USER_ID,
    RIVAL_API_PASSWORD,
    RIVAL_INTAKE_TOKEN,
    RIVAL_OAUTH_CLIENT_SECRET,
    RIVAL_SSO_SALT,
    sso_login_form,
)

GRANT_CODE = "SECRETgrantCodeAcme5Zt8Qm2Wv6Lp3Nx"
FAILED_GRANT_CODE = "SECRETgrantCodeFailing4Rk9Dj1Hs7Bc"
REFUSED_GRANT_CODE = "SECRETgrantCodeRefused8Yw3Tf6Gm2Ke"
STATIC_SECRETS = {
    "acme access token": ACME_ACCESS_TOKEN,
    "acme refresh token": ACME_REFRESH_TOKEN,
    "acme manifest password": ACME_API_PASSWORD,
    "acme SSO salt": ACME_SSO_SALT,
    "acme OAuth client secret": ACME_OAUTH_CLIENT_SECRET,
    "acme intake token": ACME_INTAKE_TOKEN,
    "rival manifest password": RIVAL_API_PASSWORD,
    "rival SSO salt": RIVAL_SSO_SALT,
    "rival OAuth client secret": RIVAL_OAUTH_CLIENT_SECRET,
    "rival intake token": RIVAL_INTAKE_TOKEN,
    "grant code": GRANT_CODE,
    "failed grant code": FAILED_GRANT_CODE,
    "refused grant code": REFUSED_GRANT_CODE,
    "acme Basic credentials": basic_auth("acme-marker-search", ACME_API_PASSWORD).split()[1],
}


class Surfaces:
    """Everything a person could read, by where it came from."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []
        self.revealed: list[tuple[str, str]] = []

    def add(self, where: str, text) -> None:
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        self.items.append((where, str(text)))

    def response(self, where: str, response, *, reveals: bool = False) -> None:
        text = response.content.decode(errors="replace")
        text += "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())
        (self.revealed if reveals else self.items).append((where, text))

    def exception(self, where: str, exc: BaseException) -> None:
        self.add(where, "".join(traceback.format_exception(exc)) + repr(exc))

    def hits(self, secrets: dict[str, str]) -> list[str]:
        return [
            f"{name} in {where}"
            for where, text in self.items
            for name, value in secrets.items()
            if value and value in text
        ]


def raw_database_dump() -> str:
    """Every row of every table, as stored (before any decryption)."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [f"{table}: {row!r}" for row in cursor.fetchall()]
    return "\n".join(rows)


@pytest.fixture
def all_logs_at_debug(caplog):
    """Capture every record of every logger at DEBUG, SQL queries with their parameters too."""
    caplog.set_level(logging.DEBUG)
    for name in [*logging.root.manager.loggerDict, "django.request", "django.db.backends"]:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def provision(heroku, fake_heroku, code, *, client_secret=ACME_OAUTH_CLIENT_SECRET):
    resource_uuid, _ = fake_heroku.world.add_resource(plan="acme-marker-search:basic")
    fake_heroku.world.grants[code] = {"resource": resource_uuid, "client_secret": client_secret}
    body = provision_body(resource_uuid, plan="acme-marker-search:basic", code=code)
    return resource_uuid, heroku.provision(body)


def test_no_secret_appears_outside_its_reveal_page(
    world, fake_heroku, all_logs_at_debug, django_capture_on_commit_callbacks, settings
):
    settings.SYNC_CONCURRENCY = 1
    seen = Surfaces()
    acme = world.acme
    fake = fake_heroku.world
    # acme's own resource is known to the fake with an expired token: its sync refreshes it.
    fake.users[DASHBOARD_USER_EMAIL] = DASHBOARD_USER_ID  # who logs in by SSO below
    fake.add_resource(
        str(acme.resource.uuid),
        token=ACME_ACCESS_TOKEN,
        plan="acme-marker-search:basic",
        collaborators=[DASHBOARD_USER_EMAIL],
    )
    fake.refresh_tokens[ACME_REFRESH_TOKEN] = {
        "resource": str(acme.resource.uuid),
        "client_secret": ACME_OAUTH_CLIENT_SECRET,
    }
    fake.expire_token(ACME_ACCESS_TOKEN)

    heroku = Heroku(Client(), acme.addon)
    with django_capture_on_commit_callbacks(execute=True):
        # Provision with a grant (exchanged, then synced), with one that fails and one refused.
        provisioned, response = provision(heroku, fake_heroku, GRANT_CODE)
        seen.response("provision", response)
        fake_heroku.inject("503", match="/oauth/token", times=1)
        _, response = provision(heroku, fake_heroku, FAILED_GRANT_CODE)
        seen.response("provision, grant exchange failing", response)
        _, response = provision(
            heroku, fake_heroku, REFUSED_GRANT_CODE, client_secret="not-the-client-secret"
        )
        seen.response("provision, grant refused", response)
        # Plan change, de-provisioning, and a caller with the wrong password.
        seen.response("plan change", heroku.change_plan(provisioned, "acme-marker-search:pro"))
        seen.response(
            "wrong password",
            heroku.change_plan(
                provisioned, "pro", authorization=basic_auth("acme-marker-search", "wrong")
            ),
        )
        # Sync: the stored token has expired, so the sync refreshes it.
        out = io.StringIO()
        try:  # some resources have no token (their grant failed): the command reports them
            call_command("sync_access", "--json", stdout=out, stderr=out)
        except CommandError as exc:
            seen.exception("sync_access", exc)
        seen.add("sync_access --json", out.getvalue())
        seen.response("de-provision", heroku.deprovision(provisioned))
        out = io.StringIO()
        call_command("access_list", str(acme.resource.uuid), stdout=out)
        seen.add("access_list", out.getvalue())

        # Ticket intake, with the token and with a wrong one; escalated, so company users get mail.
        intake = Client()
        ticket = {
            "addon": acme.addon.slug,
            "subject": "Intake ticket",
            "body": "Opened by the support tool.",
            "requester_email": "customer@acme.example",
            "escalate": True,
        }
        for token in (ACME_INTAKE_TOKEN, RIVAL_INTAKE_TOKEN):
            seen.response(
                "ticket intake",
                intake.post(
                    "/tickets/intake",
                    json.dumps(ticket),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                ),
            )

    # Add-on SSO: a login signed with the salt, its dashboard, a ticket, and a forged login.
    dashboard = Client()
    sso_form = sso_login_form(acme.resource)
    response = dashboard.post("/sso/login", sso_form)
    assert response.status_code == 302, response.content
    seen.response("SSO login", response)
    for page in (response["Location"], response["Location"] + "tickets/new"):
        seen.response(page, dashboard.get(page))
    seen.response(
        "SSO ticket",
        dashboard.post(response["Location"] + "tickets/new", {"subject": "s", "body": "b"}),
    )
    forged = sso_login_form(acme.resource, salt=RIVAL_SSO_SALT, age=5)
    seen.response("forged SSO login", Client().post("/sso/login", forged))

    # The Heroku clients' errors on 401, 403, 5xx, and a refused grant.
    client = PlatformClient(sleep=lambda seconds: None, max_attempts=2)
    for fault in ("401", "403", "500", "503"):
        fake_heroku.inject(fault, match="/addons/", times=4)
        credentials = ResourceCredentials(
            access_token=ACME_ACCESS_TOKEN,
            refresh_token=ACME_REFRESH_TOKEN,
            client_secret=ACME_OAUTH_CLIENT_SECRET,
        )
        with pytest.raises(HerokuAPIError) as raised:
            client.fetch_addon(acme.resource.uuid, credentials=credentials)
        seen.exception(f"PlatformClient on {fault}", raised.value)
        seen.add(f"credentials repr on {fault}", repr(credentials))
        fake_heroku.clear_faults()
    with pytest.raises(HerokuAPIError) as raised:
        OAuthClient().exchange_grant(code=GRANT_CODE, client_secret=ACME_OAUTH_CLIENT_SECRET)
    seen.exception("OAuthClient, grant already used", raised.value)

    # The portal pages of a manager who holds every right, GET only (nothing revealed).
    manager = Client()
    manager.force_login(acme.manager.user)
    slug = acme.addon.slug
    pages = [
        "/provider/home",
        "/company/acme/users/",
        "/addons/",
        f"/addons/{slug}/",
        f"/addons/{slug}/manifest/",
        f"/addons/{slug}/manifest/import/",
        f"/addons/{slug}/manifest/password/",
        f"/addons/{slug}/oauth-secret/",
        f"/addons/{slug}/oauth-secret/reset/",
        f"/addons/{slug}/marketing/",
        f"/addons/{slug}/plans/",
        "/tickets/",
        *[f"/tickets/{t.pk}/" for t in acme.addon.tickets.all()],
        *[f"/addons/{slug}/resources/{r.uuid}/" for r in acme.addon.resources.all()],
    ]
    for page in pages:
        response = manager.get(page)
        assert response.status_code == 200, page
        seen.response(page, response)

    # The admin pages of the operator.
    operator = Client()
    operator.force_login(world.operator)
    for model in ("addon", "addonresource", "partnerapicall", "syncrun", "ticket"):
        seen.response(f"admin {model} list", operator.get(f"/admin/addons/{model}/"))
    for model in ("notification", "auditevent", "company"):
        seen.response(f"admin {model} list", operator.get(f"/admin/accounts/{model}/"))
    from accounts.models import AuditEvent, Notification
    from addons.models import PartnerAPICall, SyncRun

    for model, objects in (
        ("addons/addon", Addon.objects.all()),
        ("addons/addonresource", AddonResource.objects.all()),
        ("addons/partnerapicall", PartnerAPICall.objects.all()),
        ("addons/syncrun", SyncRun.objects.all()),
        ("accounts/notification", Notification.objects.all()),
        ("accounts/auditevent", AuditEvent.objects.all()),
    ):
        for obj in objects:
            response = operator.get(f"/admin/{model}/{obj.pk}/change/")
            assert response.status_code == 200, (model, obj.pk)
            seen.response(f"admin {model} {obj.pk}", response)

    # The reveal answers: they show the secret, to a permitted user, and are never cached.
    for path, secrets in (
        (f"/addons/{slug}/oauth-secret/", [ACME_OAUTH_CLIENT_SECRET]),
        (f"/addons/{slug}/manifest/export/", [ACME_API_PASSWORD, ACME_SSO_SALT]),
    ):
        response = manager.post(path)
        assert response.status_code == 200
        assert all(secret in response.content.decode() for secret in secrets)
        assert "no-store" in response["Cache-Control"]
        seen.response(path, response, reveals=True)
    # A new password and a new client secret are no more visible than the old ones.
    seen.response("password regenerated", manager.post(f"/addons/{slug}/manifest/password/"))
    response = manager.post(f"/addons/{slug}/oauth-secret/reset/")
    assert "no-store" in response["Cache-Control"]
    seen.response("client secret reset", response, reveals=True)

    for message in mail.outbox:
        alternatives = " ".join(str(content) for content, _ in message.alternatives)
        seen.add(f"email {message.subject!r}", f"{message.subject}\n{message.body}{alternatives}")
    assert mail.outbox, "the flows send ticket emails"
    for record in all_logs_at_debug.records:
        seen.add(f"log {record.name}", logging.Formatter().format(record))
    seen.add("database", raw_database_dump())

    addon = Addon.objects.get(pk=acme.addon.pk)
    secrets = {
        **STATIC_SECRETS,
        "new manifest password": addon.api_password,
        "new OAuth client secret": addon.oauth_client_secret,
        "SSO token": sso_form["user_scoped_resource_token"],
        "legacy SSO token": sso_form["resource_token"],
        **{f"issued access token {t[:6]}": t for t in fake.tokens},
        **{f"issued refresh token {t[:6]}": t for t in fake.refresh_tokens},
    }
    assert fake.tokens.keys() - {ACME_ACCESS_TOKEN}, "the flows issued new tokens"
    assert any("oauth/token" in text for where, text in seen.items if where.startswith("log"))
    hits = seen.hits(secrets)
    assert not hits, "Secrets outside their reveal page:\n" + "\n".join(hits)


SECRET_COLUMNS = {
    Addon: ("api_password", "sso_salt", "oauth_client_secret"),
    AddonResource: ("access_token", "refresh_token", "grant_code"),
}


def raw_column(model, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def test_secrets_are_stored_encrypted_or_hashed(world):
    resource = world.acme.resource
    AddonResource.objects.filter(pk=resource.pk).update(grant_code=GRANT_CODE)
    for model, obj, plain in (
        (Addon, world.acme.addon, {"api_password": ACME_API_PASSWORD}),
        (Addon, world.acme.addon, {"sso_salt": ACME_SSO_SALT}),
        (Addon, world.acme.addon, {"oauth_client_secret": ACME_OAUTH_CLIENT_SECRET}),
        (AddonResource, resource, {"access_token": ACME_ACCESS_TOKEN}),
        (AddonResource, resource, {"refresh_token": ACME_REFRESH_TOKEN}),
        (AddonResource, resource, {"grant_code": GRANT_CODE}),
    ):
        [(column, value)] = plain.items()
        stored = raw_column(model, column, obj.pk)
        assert value not in stored
        assert Fernet(_key().encode()).decrypt(stored.encode()).decode() == value
        assert getattr(model.objects.get(pk=obj.pk), column) == value
    stored_hash = raw_column(Addon, "intake_token_hash", world.acme.addon.pk)
    assert ACME_INTAKE_TOKEN not in stored_hash and len(stored_hash) == 64
    assert Addon.objects.get(pk=world.acme.addon.pk).intake_token_matches(ACME_INTAKE_TOKEN)


def _key() -> str:
    from django.conf import settings

    return settings.FIELD_ENCRYPTION_KEY[0]


def test_rotating_the_encryption_key_keeps_every_secret_usable(
    world, fake_heroku, settings, django_capture_on_commit_callbacks
):
    """Prepend a new key, re-encrypt, drop the old key: provisioning, the Partner API's password,
    sync and Add-on SSO still work, and every ciphertext changed."""
    acme = world.acme
    fake = fake_heroku.world
    fake.users[DASHBOARD_USER_EMAIL] = DASHBOARD_USER_ID
    fake.add_resource(
        str(acme.resource.uuid), token=ACME_ACCESS_TOKEN, collaborators=[DASHBOARD_USER_EMAIL]
    )
    fake.refresh_tokens[ACME_REFRESH_TOKEN] = {
        "resource": str(acme.resource.uuid),
        "client_secret": ACME_OAUTH_CLIENT_SECRET,
    }
    AddonResource.objects.filter(pk=acme.resource.pk).update(grant_code=GRANT_CODE)
    columns = [
        (model, column, obj.pk)
        for model, objs in (
            (Addon, [acme.addon, world.rival.addon]),
            (AddonResource, [acme.resource]),
        )
        for obj in objs
        for column in SECRET_COLUMNS[model]
    ]
    before = {c: raw_column(*c) for c in columns}
    old_key, new_key = settings.FIELD_ENCRYPTION_KEY[0], Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "addons.Addon: 2 rows re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEY = [new_key]  # the old key is dropped

    for column, ciphertext in before.items():
        after = raw_column(*column)
        assert after != ciphertext, column
        Fernet(new_key.encode()).decrypt(after.encode())  # the new key alone reads it
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(after.encode())
    # Everything that uses a secret still works with the new key alone.
    addon = Addon.objects.get(pk=acme.addon.pk)
    assert (addon.api_password, addon.sso_salt) == (ACME_API_PASSWORD, ACME_SSO_SALT)
    from addons.access.sync import sync_resource

    fake.expire_token(ACME_ACCESS_TOKEN)  # the sync must refresh with the client secret
    assert sync_resource(AddonResource.objects.get(pk=acme.resource.pk), trigger="cron").ok
    assert AddonResource.objects.get(pk=acme.resource.pk).access_token != ACME_ACCESS_TOKEN
    heroku = Heroku(Client(), addon)
    with django_capture_on_commit_callbacks(execute=True):
        resource_uuid, response = provision(heroku, fake_heroku, "SECRETgrantAfterRotation1")
    assert response.status_code == 200, response.content
    assert AddonResource.objects.get(uuid=resource_uuid).access_token
    assert heroku.change_plan(resource_uuid, "acme-marker-search:pro").status_code == 200
    # Add-on SSO: a token computed with the salt still logs the dashboard user in.
    AddonResource.objects.filter(pk=acme.resource.pk).update(last_synced_at=timezone.now())
    dashboard = Client()
    response = dashboard.post("/sso/login", sso_login_form(acme.resource))
    assert response.status_code == 302, response.content
    assert dashboard.get(response["Location"]).status_code == 200


def test_rotation_locks_the_rows_it_rewrites(world, settings):
    """A token refreshed while the command runs is not overwritten with the value read before."""
    from django.test.utils import CaptureQueriesContext

    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEY]
    with CaptureQueriesContext(connection) as queries:
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "addons_" in q["sql"]]
    assert reads
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in sql for sql in reads), reads


def test_basic_credentials_do_not_identify_another_companys_resource(world, client):
    """The manifest credentials of one add-on open no resource of another (404, nothing changed)."""
    rival = Heroku(client, world.rival.addon)
    resource = world.acme.resource
    assert rival.change_plan(resource.uuid, "rival-cache:pro").status_code == 404
    assert rival.deprovision(resource.uuid).status_code == 404
    body = provision_body(resource.uuid, plan="rival-cache:basic")
    assert rival.provision(body).status_code == 409
    resource.refresh_from_db()
    assert resource.state == AddonResource.State.PROVISIONED and resource.plan.slug == "basic"
    assert resource.addon == world.acme.addon


def test_an_intake_token_opens_tickets_for_its_own_addon_only(world, client):
    def post(token, payload):
        return client.post(
            "/tickets/intake",
            json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    ticket = {"subject": "s", "body": "b", "requester_email": "c@example.com"}
    tickets = world.acme.addon.tickets.count()
    assert post(RIVAL_INTAKE_TOKEN, {**ticket, "addon": world.acme.addon.slug}).status_code == 401
    foreign = {**ticket, "addon": world.acme.addon.slug, "resource": str(world.rival.resource.uuid)}
    assert post(ACME_INTAKE_TOKEN, foreign).status_code == 422
    assert world.acme.addon.tickets.count() == tickets
    assert world.rival.addon.tickets.count() == 1


def test_the_basic_credentials_are_base64_of_the_password():
    # The leak search looks for the header's value too: check it is what Heroku would send.
    decoded = base64.b64decode(STATIC_SECRETS["acme Basic credentials"]).decode()
    assert decoded == f"acme-marker-search:{ACME_API_PASSWORD}"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/addons/acme-marker-search/manifest/import/", "manifest_json"),
        ("/sso/login", "user_scoped_resource_token"),
        ("/sso/login", "resource_token"),
    ],
)
def test_an_error_report_masks_posted_secrets(world, client, path, field):
    """Django's error reports (500 emails to ADMINS, the debug page) mask the POST fields that
    carry a secret: a pasted manifest (password and SSO salt) and Heroku's SSO tokens."""
    from django.views.debug import SafeExceptionReporterFilter

    client.force_login(world.acme.manager.user)
    response = client.post(path, {**sso_login_form(world.acme.resource), field: ACME_SSO_SALT})
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert ACME_SSO_SALT not in reported[field]
