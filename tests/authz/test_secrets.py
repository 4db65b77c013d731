"""Secrets appear nowhere but in the one answer that reveals them to a permitted user, and are
stored encrypted (or hashed) at rest.

The secrets: resource access and refresh tokens, provisioning grant codes, the manifest password
(and the Basic credentials made from it), the SSO salt (and the SSO tokens signed with it), the
OAuth client secret, ticket intake tokens, the add-on service's signing secret, and a resource's
Logplex credentials (its log drain token, and the password in its log input URL). The places that
may show one, each to a permitted user only:

- the answer to POST /addons/<slug>/oauth-secret/ and /oauth-secret/reset/ (oauth_secrets): the
  OAuth client secret;
- the answer to POST /addons/<slug>/service/secret/ (manage_manifests): a new signing secret;
- the download of POST /addons/<slug>/manifest/export/ (manage_manifests): the manifest password
  and the SSO salt;
- the output of `manage.py set_intake_token` (an operator at the shell): the new intake token.

Everything else is searched here, one surface per test: the answers of the Partner API, the
output of the commands, the ticket intake's answers, the SSO login and dashboard, the errors the
Heroku clients raise, the portal's and the admin's pages, every email, every log record (every
logger at DEBUG, SQL included) and every row of the database as stored. The flows run once for
the module (`leak_search`), in a transaction rolled back at the end; each surface's test then
searches what that surface showed, so a leak names its surface.
"""

import base64
import io
import json
import logging
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.errors import HerokuAPIError
from addons.heroku.fake import FakeHeroku
from addons.heroku.oauth import OAuthClient
from addons.lifecycle.signing import signed_headers
from addons.models import (
    Addon,
    AddonResource,
    AddonService,
    LifecycleEvent,
    PartnerAPICall,
    SyncRun,
)
from tests.addons.partner_api.partner_api import Heroku, basic_auth, provision_body
from tests.authz.world import (
    ACME_ACCESS_TOKEN,
    ACME_API_PASSWORD,
    ACME_INTAKE_TOKEN,
    ACME_OAUTH_CLIENT_SECRET,
    ACME_REFRESH_TOKEN,
    ACME_SERVICE_SECRET,
    ACME_SSO_SALT,
    DASHBOARD_USER_EMAIL,
    DASHBOARD_USER_ID,
    RIVAL_API_PASSWORD,
    RIVAL_INTAKE_TOKEN,
    RIVAL_OAUTH_CLIENT_SECRET,
    RIVAL_SERVICE_SECRET,
    RIVAL_SSO_SALT,
    build_world,
    sso_login_form,
)

GRANT_CODE = "SECRETgrantCodeAcme5Zt8Qm2Wv6Lp3Nx"
FAILED_GRANT_CODE = "SECRETgrantCodeFailing4Rk9Dj1Hs7Bc"
REFUSED_GRANT_CODE = "SECRETgrantCodeRefused8Yw3Tf6Gm2Ke"
LOG_DRAIN_TOKEN = "SECRETlogDrainTokenAcme3Vr7Kq1Mz5Hs"
LOG_INPUT_PASSWORD = "SECRETlogInputPasswordAcme8Tb2Wc4Np"
# Logplex's input URL carries its credentials; nothing listens on this port, so the portal's line
# fails to be written (recorded on the resource, never with the URL).
LOG_INPUT_URL = f"https://token:{LOG_INPUT_PASSWORD}@127.0.0.1:9/logs"
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
    "acme service signing secret": ACME_SERVICE_SECRET,
    "rival service signing secret": RIVAL_SERVICE_SECRET,
    "log drain token": LOG_DRAIN_TOKEN,
    "log input password": LOG_INPUT_PASSWORD,
}

# Where a person could read something, in the order the flows below show them.
PARTNER_API = "Partner API answers"
COMMANDS = "command output"
TICKET_INTAKE = "ticket intake answers"
SSO = "SSO login and dashboard"
CLIENT_ERRORS = "Heroku client errors"
PORTAL_PAGES = "portal pages"
ADMIN_PAGES = "admin pages"
EMAILS = "emails"
LOGS = "logs"
DATABASE = "database"
SURFACES = [
    PARTNER_API,
    COMMANDS,
    TICKET_INTAKE,
    SSO,
    CLIENT_ERRORS,
    PORTAL_PAGES,
    ADMIN_PAGES,
    EMAILS,
    LOGS,
    DATABASE,
]


def response_text(response) -> str:
    text = response.content.decode(errors="replace")
    return text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())


@dataclass
class LeakSearch:
    """What every surface showed while the flows ran, and what must not be in it."""

    shown: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # The reveal answers: (where, status, text, Cache-Control).
    revealed: list[tuple[str, int, str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    emails_sent: int = 0
    tokens_issued: int = 0

    def add(self, surface: str, where: str, text) -> None:
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        self.shown.setdefault(surface, []).append((where, str(text)))

    def response(self, surface: str, where: str, response) -> None:
        self.add(surface, where, response_text(response))

    def reveal(self, where: str, response) -> None:
        cache_control = response.get("Cache-Control", "")
        self.revealed.append((where, response.status_code, response_text(response), cache_control))

    def exception(self, surface: str, where: str, exc: BaseException) -> None:
        self.add(surface, where, "".join(traceback.format_exception(exc)) + repr(exc))

    def hits(self, surface: str) -> list[str]:
        """Return "SECRET in WHERE" for each secret that SURFACE showed."""
        return [
            f"{name} in {where}"
            for where, text in self.shown.get(surface, [])
            for name, value in self.secrets.items()
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


def provision(heroku, fake_heroku, code, *, client_secret=ACME_OAUTH_CLIENT_SECRET):
    """Provision a new resource of acme's add-on with the grant CODE; return (uuid, answer)."""
    resource_uuid, _ = fake_heroku.world.add_resource(plan="acme-marker-search:basic")
    fake_heroku.world.grants[code] = {"resource": resource_uuid, "client_secret": client_secret}
    body = provision_body(
        resource_uuid,
        plan="acme-marker-search:basic",
        code=code,
        log_drain_token=LOG_DRAIN_TOKEN,
        log_input_url=LOG_INPUT_URL,
    )
    return resource_uuid, heroku.provision(body)


class LogRecords(logging.Handler):
    """Every log record, formatted, with the flow that was running when it was logged."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.flow = ""
        self.records: list[tuple[str, str]] = []

    def emit(self, record):
        self.records.append((f"log {record.name} during {self.flow}", self.format(record)))


@contextmanager
def every_log_record():
    """Capture every record of every logger at DEBUG, SQL queries with their parameters too."""
    handler = LogRecords()
    names = [*logging.root.manager.loggerDict, "django.request", "django.db.backends"]
    loggers = [logging.root, *(logging.getLogger(name) for name in names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.root.addHandler(handler)
    connection.force_debug_cursor = True
    try:
        yield handler
    finally:
        connection.force_debug_cursor = False
        logging.root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class LeakScenario:
    """The flows that handle a secret, run one after another against the fake Heroku."""

    def __init__(self, world, fake: FakeHeroku, logs: LogRecords):
        self.world, self.fake, self.logs = world, fake, logs
        self.search = LeakSearch()
        self.heroku = Heroku(Client(), world.acme.addon)
        self.manager = Client()
        self.manager.force_login(world.acme.manager.user)
        self.sso_form: dict = {}

    def run(self) -> LeakSearch:
        self.know_acme_resource_upstream()
        with TestCase.captureOnCommitCallbacks(execute=True):
            self.flow(self.partner_api_calls_and_commands)
            self.flow(self.ticket_intake)
        for flow in (
            self.sso_login_and_dashboard,
            self.heroku_client_errors,
            self.portal_pages,
            self.admin_pages,
            self.reveal_pages,
        ):
            self.flow(flow)
        self.collect_what_stays()
        return self.search

    def flow(self, steps) -> None:
        self.logs.flow = steps.__name__.replace("_", " ")
        steps()

    def know_acme_resource_upstream(self) -> None:
        """acme's resource is known to the fake with an expired token: its sync refreshes it."""
        resource = self.world.acme.resource
        self.fake.world.users[DASHBOARD_USER_EMAIL] = DASHBOARD_USER_ID  # who logs in by SSO
        self.fake.world.add_resource(
            str(resource.uuid),
            token=ACME_ACCESS_TOKEN,
            plan="acme-marker-search:basic",
            collaborators=[DASHBOARD_USER_EMAIL],
        )
        self.fake.world.refresh_tokens[ACME_REFRESH_TOKEN] = {
            "resource": str(resource.uuid),
            "client_secret": ACME_OAUTH_CLIENT_SECRET,
        }
        self.fake.world.expire_token(ACME_ACCESS_TOKEN)

    def provision(self, code, *, client_secret=ACME_OAUTH_CLIENT_SECRET):
        return provision(self.heroku, self.fake, code, client_secret=client_secret)

    def partner_api_calls_and_commands(self) -> None:
        """Provision with a grant (exchanged, then synced), with one that fails and one refused;
        change a plan, call with a wrong password, sync, de-provision, list who has access."""
        seen = self.search
        provisioned, response = self.provision(GRANT_CODE)
        seen.response(PARTNER_API, "provision", response)
        self.fake.inject("503", match="/oauth/token", times=1)
        _, response = self.provision(FAILED_GRANT_CODE)
        seen.response(PARTNER_API, "provision, grant exchange failing", response)
        _, response = self.provision(REFUSED_GRANT_CODE, client_secret="not-the-client-secret")
        seen.response(PARTNER_API, "provision, grant refused", response)
        response = self.heroku.change_plan(provisioned, "acme-marker-search:pro")
        seen.response(PARTNER_API, "plan change", response)
        self.service_reports(provisioned)
        wrong = basic_auth("acme-marker-search", "wrong")
        response = self.heroku.change_plan(provisioned, "pro", authorization=wrong)
        seen.response(PARTNER_API, "wrong password", response)
        # The stored token has expired, so the sync refreshes it. Some resources have no token
        # (their grant failed): the command reports them and exits 1.
        out = io.StringIO()
        try:
            call_command("sync_access", "--json", stdout=out, stderr=out)
        except CommandError as exc:
            seen.exception(COMMANDS, "sync_access", exc)
        seen.add(COMMANDS, "sync_access --json", out.getvalue())
        seen.response(PARTNER_API, "de-provision", self.heroku.deprovision(provisioned))
        out = io.StringIO()
        call_command("access_list", str(self.world.acme.resource.uuid), stdout=out)
        seen.add(COMMANDS, "access_list", out.getvalue())

    def service_reports(self, resource_uuid) -> None:
        """The add-on's service sets new config (signed with its secret, so it is pushed to
        Heroku), then sends it again unsigned and signed with the rival's secret (401)."""
        body = json.dumps({"config": {"ACME_MARKER_SEARCH_URL": "https://new.acme.example/x"}})
        path = f"/lifecycle/resources/{resource_uuid}/config"
        for where, secret in (
            ("service config update", ACME_SERVICE_SECRET),
            ("service report signed with another secret", RIVAL_SERVICE_SECRET),
            ("service report unsigned", None),
        ):
            headers = signed_headers(secret, body.encode()) if secret else {}
            response = Client().post(path, body, content_type="application/json", headers=headers)
            self.search.response(PARTNER_API, where, response)

    def ticket_intake(self) -> None:
        """Open a ticket with acme's intake token and with rival's; escalated, so mail goes."""
        ticket = {
            "addon": self.world.acme.addon.slug,
            "subject": "Intake ticket",
            "body": "Opened by the support tool.",
            "requester_email": "customer@acme.example",
            "escalate": True,
        }
        for token in (ACME_INTAKE_TOKEN, RIVAL_INTAKE_TOKEN):
            response = Client().post(
                "/tickets/intake",
                json.dumps(ticket),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            self.search.response(TICKET_INTAKE, "ticket intake", response)

    def sso_login_and_dashboard(self) -> None:
        """A login signed with the salt, its dashboard, a ticket, and a forged login."""
        seen, resource = self.search, self.world.acme.resource
        dashboard = Client()
        self.sso_form = sso_login_form(resource)
        response = dashboard.post("/sso/login", self.sso_form)
        assert response.status_code == 302, response.content
        seen.response(SSO, "SSO login", response)
        home = response["Location"]
        for page in (home, home + "tickets/new"):
            seen.response(SSO, page, dashboard.get(page))
        ticket = dashboard.post(home + "tickets/new", {"subject": "s", "body": "b"})
        seen.response(SSO, "SSO ticket", ticket)
        forged = sso_login_form(resource, salt=RIVAL_SSO_SALT, age=5)
        seen.response(SSO, "forged SSO login", Client().post("/sso/login", forged))

    def heroku_client_errors(self) -> None:
        """The Heroku clients' errors on 401, 403, 5xx, and a grant used twice."""
        client = PlatformClient(sleep=lambda seconds: None, max_attempts=2)
        for fault in ("401", "403", "500", "503"):
            self.fake.inject(fault, match="/addons/", times=4)
            credentials = ResourceCredentials(
                access_token=ACME_ACCESS_TOKEN,
                refresh_token=ACME_REFRESH_TOKEN,
                client_secret=ACME_OAUTH_CLIENT_SECRET,
            )
            with pytest.raises(HerokuAPIError) as raised:
                client.fetch_addon(self.world.acme.resource.uuid, credentials=credentials)
            self.search.exception(CLIENT_ERRORS, f"PlatformClient on {fault}", raised.value)
            self.search.add(CLIENT_ERRORS, f"credentials repr on {fault}", repr(credentials))
            self.fake.clear_faults()
        with pytest.raises(HerokuAPIError) as raised:
            OAuthClient().exchange_grant(code=GRANT_CODE, client_secret=ACME_OAUTH_CLIENT_SECRET)
        self.search.exception(CLIENT_ERRORS, "OAuthClient, grant already used", raised.value)

    def portal_pages(self) -> None:
        """The pages of a manager who holds every right, GET only (nothing revealed)."""
        addon = self.world.acme.addon
        slug = addon.slug
        pages = [
            "/provider/home",
            "/company/acme/users/",
            "/addons/",
            f"/addons/{slug}/",
            *(
                f"/addons/{slug}/{page}/"
                for page in (
                    "manifest",
                    "manifest/import",
                    "manifest/password",
                    "oauth-secret",
                    "oauth-secret/reset",
                    "marketing",
                    "plans",
                    "service",
                    "service/secret",
                )
            ),
            "/tickets/",
            *[f"/tickets/{t.pk}/" for t in addon.tickets.all()],
            *[f"/addons/{slug}/resources/{r.uuid}/" for r in addon.resources.all()],
        ]
        for page in pages:
            response = self.manager.get(page)
            assert response.status_code == 200, page
            self.search.response(PORTAL_PAGES, page, response)

    def admin_pages(self) -> None:
        """The operator's lists and the change page of every row that could hold a secret."""
        operator = Client()
        operator.force_login(self.world.operator)
        for model in (
            "addon",
            "addonresource",
            "partnerapicall",
            "syncrun",
            "ticket",
            "addonservice",
            "lifecycleevent",
            "credentialrotation",
        ):
            response = operator.get(f"/admin/addons/{model}/")
            self.search.response(ADMIN_PAGES, f"admin {model} list", response)
        for model in ("notification", "auditevent", "company"):
            response = operator.get(f"/admin/accounts/{model}/")
            self.search.response(ADMIN_PAGES, f"admin {model} list", response)
        for model, objects in (
            ("addons/addon", Addon.objects.all()),
            ("addons/addonresource", AddonResource.objects.all()),
            ("addons/partnerapicall", PartnerAPICall.objects.all()),
            ("addons/syncrun", SyncRun.objects.all()),
            ("addons/addonservice", AddonService.objects.all()),
            ("addons/lifecycleevent", LifecycleEvent.objects.all()),
            ("accounts/notification", Notification.objects.all()),
            ("accounts/auditevent", AuditEvent.objects.all()),
        ):
            for obj in objects:
                response = operator.get(f"/admin/{model}/{obj.pk}/change/")
                assert response.status_code == 200, (model, obj.pk)
                self.search.response(ADMIN_PAGES, f"admin {model} {obj.pk}", response)

    def reveal_pages(self) -> None:
        """The reveal answers; then a new password and client secret, no more visible."""
        slug = self.world.acme.addon.slug
        for path in (f"/addons/{slug}/oauth-secret/", f"/addons/{slug}/manifest/export/"):
            self.search.reveal(path, self.manager.post(path))
        response = self.manager.post(f"/addons/{slug}/manifest/password/")
        self.search.response(PORTAL_PAGES, "password regenerated", response)
        response = self.manager.post(f"/addons/{slug}/oauth-secret/reset/")
        self.search.reveal("client secret reset", response)
        response = self.manager.post(f"/addons/{slug}/service/secret/")
        self.search.reveal("service secret generated", response)

    def collect_what_stays(self) -> None:
        """Emails, log records and the database; and every secret the flows handled."""
        seen = self.search
        for message in mail.outbox:
            alternatives = " ".join(str(content) for content, _ in message.alternatives)
            text = f"{message.subject}\n{message.body}{alternatives}"
            seen.add(EMAILS, f"email {message.subject!r}", text)
        seen.emails_sent = len(mail.outbox)
        for where, text in self.logs.records:
            seen.add(LOGS, where, text)
        seen.add(DATABASE, "database", raw_database_dump())
        addon = Addon.objects.get(pk=self.world.acme.addon.pk)
        issued = self.fake.world
        seen.tokens_issued = len(issued.tokens.keys() - {ACME_ACCESS_TOKEN})
        seen.secrets = {
            **STATIC_SECRETS,
            "new manifest password": addon.api_password,
            "new OAuth client secret": addon.oauth_client_secret,
            "new service signing secret": AddonService.objects.get(addon=addon).signing_secret,
            "SSO token": self.sso_form["user_scoped_resource_token"],
            "legacy SSO token": self.sso_form["resource_token"],
            **{f"issued access token {t[:6]}": t for t in issued.tokens},
            **{f"issued refresh token {t[:6]}": t for t in issued.refresh_tokens},
        }


@pytest.fixture(scope="module")
def leak_search(django_db_setup, django_db_blocker) -> LeakSearch:
    """Run every flow that handles a secret once, in a transaction rolled back afterwards, and
    return what each surface showed."""
    with (
        django_db_blocker.unblock(),
        FakeHeroku() as fake,
        override_settings(HEROKU_API_URL=fake.url, HEROKU_ID_URL=fake.url, SYNC_CONCURRENCY=1),
        every_log_record() as logs,
    ):
        cache.clear()
        mail.outbox.clear()
        try:
            with transaction.atomic():
                try:
                    with TestCase.captureOnCommitCallbacks(execute=True):
                        world = build_world()
                    return LeakScenario(world, fake, logs).run()
                finally:
                    transaction.set_rollback(True)
        finally:
            # Outside any test's database fixture (these tests use none), so leave no session
            # behind: the test database cannot be dropped at the end while one is open.
            connection.close()
            mail.outbox.clear()
            cache.clear()


@pytest.mark.parametrize("surface", SURFACES)
def test_no_secret_appears_outside_its_reveal_page(leak_search, surface):
    assert leak_search.shown.get(surface), f"the flows showed nothing on {surface}"
    hits = leak_search.hits(surface)
    assert not hits, f"Secrets on {surface}, outside their reveal page:\n" + "\n".join(hits)


def test_the_reveal_answers_show_their_secrets_uncached(leak_search):
    revealed = {where: (status, text, cc) for where, status, text, cc in leak_search.revealed}
    for where, secrets in (
        ("/addons/acme-marker-search/oauth-secret/", [ACME_OAUTH_CLIENT_SECRET]),
        ("/addons/acme-marker-search/manifest/export/", [ACME_API_PASSWORD, ACME_SSO_SALT]),
        ("client secret reset", []),
        ("service secret generated", []),
    ):
        status, text, cache_control = revealed[where]
        assert status == 200, where
        assert all(secret in text for secret in secrets), where
        assert "no-store" in cache_control, where


def test_the_flows_send_mail_issue_tokens_and_log_the_token_calls(leak_search):
    """The search means something only if the flows did handle secrets."""
    assert leak_search.emails_sent, "the flows send ticket emails"
    assert leak_search.tokens_issued, "the flows issued new tokens"
    assert any("oauth/token" in text for _, text in leak_search.shown[LOGS])
    assert any(
        where == "service config update" and '"id"' in text
        for where, text in leak_search.shown[PARTNER_API]
    ), "the service's signed report was accepted"


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
    AddonResource.objects.filter(pk=resource.pk).update(
        log_drain_token=LOG_DRAIN_TOKEN, log_input_url=LOG_INPUT_URL
    )
    service = AddonService.objects.get(addon=world.acme.addon)
    for model, obj, column, value in (
        (AddonService, service, "signing_secret", ACME_SERVICE_SECRET),
        (AddonResource, resource, "log_drain_token", LOG_DRAIN_TOKEN),
        (AddonResource, resource, "log_input_url", LOG_INPUT_URL),
    ):
        stored = raw_column(model, column, obj.pk)
        assert value not in stored and LOG_INPUT_PASSWORD not in stored
        assert Fernet(_key().encode()).decrypt(stored.encode()).decode() == value
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
