"""Who may open which URL: one entry per URL pattern of the project, with the answer each role
gets to each method.

A new URL pattern fails `test_every_url_pattern_has_an_entry` until it has an entry here. To add
one, copy the entry of a similar page: `member_page(Permission.X)` for a Company tab or add-on page
that needs right X, `logged_in_page()` for a page every logged-in person may open, `public_page()`
for one anyone may open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.manifests import services as manifests
from tests.authz.world import (
    LIMITED_MANAGERS,
    PASSWORD,
    ROLE_WITHOUT,
    USERS_AND_TICKETS_MANAGER,
    USERS_MANAGER,
    World,
    sso_login_form,
)

# Roles ------------------------------------------------------------------------------------------
ANONYMOUS = "anonymous"
MANAGER = "manager"  # every right at acme: the control that the page works at all
OTHER_COMPANY_MANAGER = "other_company_manager"  # every right at rival, none at acme
OPERATOR = "operator"  # is_staff superuser, nobody's company user
WITHOUT = ROLE_WITHOUT  # Permission -> "without:<permission>": every right at acme but that one
# Managers without the other rights: "manage company users" only, and that with support_tickets.
LIMITED = (USERS_MANAGER, USERS_AND_TICKETS_MANAGER)
# A Heroku user with a session from a real POST /sso/login to acme's resource: no portal login.
SSO_USER = "sso_dashboard_user"

ROLES = (
    ANONYMOUS,
    MANAGER,
    *WITHOUT.values(),
    *LIMITED,
    OTHER_COMPANY_MANAGER,
    OPERATOR,
    SSO_USER,
)
# The rights each company user of acme holds there.
RIGHTS_AT_ACME = {
    MANAGER: ALL_PERMISSIONS,
    **{role: ALL_PERMISSIONS - {permission} for permission, role in WITHOUT.items()},
    **LIMITED_MANAGERS,
}


# Answers ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None = None  # for a redirect: what the Location header starts with

    @property
    def refused(self) -> bool:
        """Whether this answer refuses the request (so that it must change nothing)."""
        return self.status >= 400 or (self.location or "").startswith(
            ("/accounts/login/", "/admin/login/")
        )

    def __str__(self):
        return f"{self.status} → {self.location}" if self.location else str(self.status)


OK = Answer(200)
CREATED = Answer(201)
NOT_ALLOWED = Answer(405)
UNAUTHORIZED = Answer(401)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
LOGIN = Answer(302, "/accounts/login/?next=")
ADMIN_LOGIN = Answer(302, "/admin/login/?next=")
# Not tried for this role here: an operator's own admin forms are tested in tests/*/test_admin*.py.
NOT_TRIED = Answer(0)


def redirect(to: str) -> Answer:
    return Answer(302, to)


ACME_TAB = redirect("/company/acme/users/")


# Entries ----------------------------------------------------------------------------------------
Kwargs = Callable[[World], dict]


@dataclass
class Entry:
    """One URL pattern: how to fill it in, and the answer of each role to each method."""

    route: str
    answers: dict[str, dict[str, Answer]]  # method -> role -> answer
    kwargs: Kwargs = lambda world: {}
    data: Callable[[World], dict] = lambda world: {}
    # The same URL naming the other company's objects, asked by FOREIGN_ROLE (who may open the
    # acme one): FOREIGN_ANSWER, 404 unless the page says otherwise.
    foreign_kwargs: Kwargs | None = None
    foreign_role: str = MANAGER
    foreign_answer: Answer = Answer(404)
    # Models a refused request may still add rows to (a call log that records every call).
    logs: tuple[str, ...] = ()
    content_type: str | None = None  # for a POST; default: a form
    # acme's strings this page shows by design to whoever may open it (see `note`).
    discloses: tuple[str, ...] = ()
    note: str = ""


def by_role(default: Answer, **answers: Answer) -> dict[str, Answer]:
    """DEFAULT for every role but those named (`without__<right>` for "without:<right>").

    The SSO dashboard user, who has no portal login, gets what the anonymous visitor gets unless
    named.
    """
    answers.setdefault("sso_dashboard_user", answers.get("anonymous", default))
    return {role: answers.get(role.replace(":", "__"), default) for role in ROLES}


def member_page(permission: Permission | None, ok: Answer) -> dict[str, Answer]:
    """A page of one of acme's objects: members only (404 for others), 403 without PERMISSION."""
    return granting(ok, permission, needs=frozenset())


def granting(ok: Answer, permission: Permission | None, *, needs) -> dict[str, Answer]:
    """A request to acme's page that needs PERMISSION, and that gives someone the rights NEEDS.

    A company user may give only rights they hold: one who lacks PERMISSION, or any of NEEDS,
    is refused with 403 (the Company tab's form says which right they lack).
    """
    answers = {ANONYMOUS: LOGIN, OTHER_COMPANY_MANAGER: NOT_FOUND, OPERATOR: NOT_FOUND}
    answers[SSO_USER] = LOGIN
    for role, rights in RIGHTS_AT_ACME.items():
        needed = {permission} | set(needs) if permission is not None else set(needs)
        answers[role] = ok if needed <= rights else FORBIDDEN
    return answers


def member_methods(permission, *, get=OK, post=None) -> dict[str, dict[str, Answer]]:
    methods = {"GET": member_page(permission, get)}
    if post is not None:
        methods["POST"] = member_page(permission, post)
    return methods


def logged_in_page(ok: Answer = OK) -> dict[str, Answer]:
    return by_role(ok, anonymous=LOGIN)


def everyone(answer: Answer = OK) -> dict[str, Answer]:
    return by_role(answer)


USERS = Permission.MANAGE_COMPANY_USERS
acme_slug = lambda world: {"slug": "acme"}  # noqa: E731
all_rights = sorted(p.value for p in ALL_PERMISSIONS)


def _manifest_import_data(world: World) -> dict:
    import json

    manifest = manifests.manifest_json(world.acme.addon)
    manifest["api"]["production"]["base_url"] = "https://imported.example.com/heroku/resources"
    return {"manifest_json": json.dumps(manifest)}


PORTAL_ENTRIES = [
    # Sign-up, e-mail verification, login, logout and passwords: django-allauth's pages -----------
    Entry("", {"GET": by_role(redirect("/provider/home"), anonymous=redirect("/accounts/login/"))}),
    Entry("provider/home", {"GET": logged_in_page()}),
    Entry("favicon.ico", {"GET": everyone(Answer(301, "/static/portal/favicon"))}),
    Entry(
        "accounts/signup/",
        {"GET": by_role(redirect("/provider/home"), anonymous=OK)},
        note="open to anyone; a POST creates an unverified account, which is its purpose",
    ),
    Entry(
        "accounts/login/",
        {"GET": by_role(redirect("/provider/home"), anonymous=OK)},
        note="a POST only logs in with a correct password and a verified address",
    ),
    Entry(
        "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
        {"GET": everyone(NOT_FOUND), "POST": everyone(NOT_FOUND)},
        kwargs=lambda world: {"key": "not-a-key"},
        note="only the key e-mailed to the address verifies it",
    ),
    Entry(
        "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        {"GET": everyone(NOT_FOUND)},
        kwargs=lambda world: {"uidb36": "1", "key": "not-a-token"},
        note="an invalid link shows the 'invalid link' page to anyone",
    ),
    Entry(
        "accounts/logout/",
        {
            "GET": by_role(OK, anonymous=redirect("/accounts/login/")),
            "POST": everyone(redirect("/accounts/login/")),
        },
        note="GET asks; only the POST logs out",
    ),
    Entry("accounts/inactive/", {"GET": everyone()}),
    Entry("accounts/reauthenticate/", {"GET": logged_in_page()}),
    Entry("accounts/reauthenticate/code/", {"GET": everyone(NOT_FOUND)}),
    Entry("accounts/reauthenticate/code/confirm/", {"GET": everyone(NOT_FOUND)}),
    Entry(
        "accounts/email/",
        {"GET": logged_in_page()},
        note="a person sees and changes their own address only",
    ),
    Entry("accounts/confirm-email/", {"GET": everyone()}),
    Entry(
        "accounts/password/change/",
        {
            "GET": logged_in_page(),
            "POST": logged_in_page(redirect("/accounts/password/change/")),
        },
        data=lambda world: {
            "oldpassword": PASSWORD,
            "password1": "a brand new passphrase 42",
            "password2": "a brand new passphrase 42",
        },
    ),
    Entry(
        "accounts/password/set/",
        {"GET": logged_in_page(redirect("/accounts/password/change/"))},
        note="for a person without a password (Heroku logins); the others change theirs",
    ),
    Entry(
        "accounts/password/reset/",
        {"GET": everyone()},
        note="open to anyone; a POST emails the address's owner, never the requester",
    ),
    Entry("accounts/password/reset/done/", {"GET": everyone()}),
    Entry("accounts/password/reset/key/done/", {"GET": everyone()}),
    Entry("accounts/login/code/confirm/", {"GET": everyone(NOT_FOUND)}),
    # Log in with Heroku (off unless HEROKU_OAUTH_CLIENT_ID and _SECRET are set) ---------------
    Entry("accounts/heroku/login/", {"GET": everyone(NOT_FOUND), "POST": everyone(NOT_FOUND)}),
    Entry("accounts/heroku/login/callback/", {"GET": everyone(NOT_FOUND)}),
    Entry("accounts/3rdparty/login/cancelled/", {"GET": everyone()}),
    Entry("accounts/3rdparty/login/error/", {"GET": everyone(UNAUTHORIZED)}),
    Entry("accounts/3rdparty/signup/", {"GET": everyone(redirect("/accounts/login/"))}),
    Entry("accounts/3rdparty/", {"GET": logged_in_page()}),
    Entry(
        "accounts/social/login/cancelled/",
        {"GET": everyone(Answer(301, "/accounts/3rdparty/login/cancelled/"))},
    ),
    Entry(
        "accounts/social/login/error/",
        {"GET": everyone(Answer(301, "/accounts/3rdparty/login/error/"))},
    ),
    Entry("accounts/social/signup/", {"GET": everyone(Answer(301, "/accounts/3rdparty/signup/"))}),
    Entry("accounts/social/connections/", {"GET": everyone(Answer(301, "/accounts/3rdparty/"))}),
    # The addresses of the pages before django-allauth, kept as redirects -----------------------
    Entry(
        "accounts/password_change/",
        {"GET": everyone(Answer(301, "/accounts/password/change/"))},
    ),
    Entry(
        "accounts/password_change/done/",
        {"GET": everyone(Answer(301, "/accounts/password/change/"))},
    ),
    Entry(
        "accounts/password_reset/",
        {"GET": everyone(Answer(301, "/accounts/password/reset/"))},
    ),
    Entry(
        "accounts/password_reset/done/",
        {"GET": everyone(Answer(301, "/accounts/password/reset/done/"))},
    ),
    Entry(
        "accounts/reset/<uidb64>/<token>/",
        {"GET": everyone(redirect("/accounts/password/reset/"))},
        kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-valid-token"},
        note="a link from before allauth cannot be used: it asks for a new one",
    ),
    Entry("accounts/reset/done/", {"GET": everyone(Answer(301, "/accounts/login/"))}),
    # The provider home and the Company tab -----------------------------------------------------
    Entry(
        "provider/join/",
        {
            "GET": logged_in_page(NOT_ALLOWED),
            "POST": by_role(redirect("/provider/home"), anonymous=LOGIN, operator=FORBIDDEN),
        },
        note="a person joins the program for themself only, once their address is verified (the "
        "operator's is not)",
    ),
    Entry(
        "provider/companies/new/",
        {
            "GET": logged_in_page(),
            "POST": by_role(
                redirect("/company/new-co/users/"), anonymous=LOGIN, operator=FORBIDDEN
            ),
        },
        data=lambda world: {"name": "New Co", "slug": "new-co"},
        note="the operator has not joined the Provider Program",
    ),
    Entry(
        "company/<slug:slug>/",
        member_methods(None),
        kwargs=acme_slug,
        note="the company home: add-ons' health for all members, open tickets for ticket handlers",
    ),
    Entry(
        "company/<slug:slug>/users/",
        member_methods(None),
        kwargs=acme_slug,
    ),
    Entry(
        "company/<slug:slug>/users/add/",
        {
            "GET": member_page(USERS, OK),
            "POST": granting(ACME_TAB, USERS, needs={Permission.SUPPORT_TICKETS}),
        },
        kwargs=acme_slug,
        data=lambda world: {"email": world.outsider.email, "permissions": ["support_tickets"]},
        note="adds someone with support_tickets: only a manager who holds it may",
    ),
    Entry(
        "company/<slug:slug>/users/<int:pk>/permissions/",
        {
            "GET": member_page(USERS, OK),
            "POST": granting(ACME_TAB, USERS, needs={Permission.OAUTH_SECRETS}),
        },
        kwargs=lambda world: {"slug": "acme", "pk": world.acme.target.pk},
        foreign_kwargs=lambda world: {"slug": "acme", "pk": world.rival.target.pk},
        data=lambda world: {"permissions": ["oauth_secrets", "support_tickets"]},
        note="adds oauth_secrets to the target's support_tickets: only a manager who holds it may",
    ),
    Entry(
        "company/<slug:slug>/users/<int:pk>/revoke/",
        member_methods(Permission.MANAGE_COMPANY_USERS, post=ACME_TAB),
        kwargs=lambda world: {"slug": "acme", "pk": world.acme.target.pk},
        foreign_kwargs=lambda world: {"slug": "acme", "pk": world.rival.target.pk},
    ),
    Entry(
        "company/<slug:slug>/ticket-notifications/",
        {
            "GET": member_page(None, NOT_ALLOWED),
            "POST": member_page(None, ACME_TAB),
        },
        kwargs=acme_slug,
        data=lambda world: {},
        note="each person turns their own emails on or off",
    ),
    Entry(
        "company/<slug:slug>/invitations/new/",
        {
            "GET": member_page(USERS, OK),
            "POST": granting(ACME_TAB, USERS, needs=ALL_PERMISSIONS),
        },
        kwargs=acme_slug,
        data=lambda world: {"email": "new-invitee@example.com", "permissions": all_rights},
        note="invites someone with every right: only a manager who holds every right may",
    ),
    *[
        Entry(
            f"company/<slug:slug>/invitations/<int:pk>/{action}/",
            {
                "GET": member_page(Permission.MANAGE_COMPANY_USERS, NOT_ALLOWED),
                "POST": member_page(Permission.MANAGE_COMPANY_USERS, ACME_TAB),
            },
            kwargs=lambda world: {"slug": "acme", "pk": world.acme.invitation.pk},
            foreign_kwargs=lambda world: {"slug": "acme", "pk": world.rival.invitation.pk},
        )
        for action in ("resend", "cancel")
    ],
    Entry(
        "invitations/<str:token>/",
        {
            "GET": everyone(),
            "POST": by_role(FORBIDDEN, anonymous=redirect("/accounts/login/?next=")),
        },
        kwargs=lambda world: {"token": world.acme.invitation_token},
        discloses=("invitee@acme.example",),
        note="the signed link, emailed to the invitee, is the credential to see the invitation; "
        "only the invited email may accept it",
    ),
    # Tickets -----------------------------------------------------------------------------------
    Entry(
        "tickets/",
        {
            "GET": by_role(
                OK,
                anonymous=LOGIN,
                without__support_tickets=FORBIDDEN,
                users_manager=FORBIDDEN,
                operator=FORBIDDEN,
            )
        },
        note="lists only the tickets of companies where the person holds support_tickets",
    ),
    Entry(
        "tickets/intake",
        {"GET": everyone(NOT_ALLOWED), "POST": everyone(UNAUTHORIZED)},
        data=lambda world: {
            "addon": world.acme.addon.slug,
            "subject": "Opened with a session only",
            "body": "No bearer token.",
            "requester_email": "customer@acme.example",
        },
        content_type="application/json",
        note="a bearer token is the only credential; a session is not one",
    ),
    Entry(
        "tickets/<int:pk>/",
        member_methods(Permission.SUPPORT_TICKETS, post=redirect("/tickets/")),
        kwargs=lambda world: {"pk": world.acme.ticket.pk},
        foreign_kwargs=lambda world: {"pk": world.rival.ticket.pk},
        data=lambda world: {"action": "message", "visibility": "internal", "body": "A note."},
    ),
    # The Add-on Partner API: basic auth with the manifest's id and password, never a session ----
    Entry(
        "heroku/resources",
        {"GET": everyone(UNAUTHORIZED), "POST": everyone(UNAUTHORIZED)},
        data=lambda world: {"uuid": "0b6e2f7d-1c5a-4a8e-9f3b-2e6d8c4a1b09", "plan": "basic"},
        content_type="application/json",
        logs=("addons.PartnerAPICall",),
    ),
    Entry(
        "heroku/resources/<str:resource_uuid>",
        {
            "GET": everyone(UNAUTHORIZED),
            "PUT": everyone(UNAUTHORIZED),
            "DELETE": everyone(UNAUTHORIZED),
        },
        kwargs=lambda world: {"resource_uuid": str(world.acme.resource.uuid)},
        data=lambda world: {"plan": "pro"},
        content_type="application/json",
        logs=("addons.PartnerAPICall",),
    ),
    # Heroku's add-on webhook deliveries: the subscription's Authorization and HMAC, never a session
    Entry(
        "heroku/webhooks/<uuid:public_id>",
        {"GET": everyone(NOT_ALLOWED), "POST": everyone(UNAUTHORIZED)},
        kwargs=lambda world: {"public_id": _webhook_subscription(world).public_id},
        data=lambda world: {"id": "e", "resource": "collaborator", "action": "destroy"},
        content_type="application/json",
        note="the subscription's Authorization value and an HMAC of the body with its secret; a "
        "session, a portal login or an SSO session is not a credential",
    ),
    # The add-on service's API: a signature with the add-on's service secret, never a session ---
    *[
        Entry(
            f"lifecycle/resources/<str:resource_uuid>/{report}",
            {"GET": everyone(NOT_ALLOWED), "POST": everyone(UNAUTHORIZED)},
            kwargs=lambda world: {"resource_uuid": str(world.acme.resource.uuid)},
            data=lambda world: {"config": {"ACME_MARKER_SEARCH_URL": "https://session.example"}},
            content_type="application/json",
            note="signed with the add-on's service secret (timestamp, event id); a session, a "
            "portal login or an SSO session is not a credential",
        )
        for report in ("provisioned", "deprovisioned", "credentials", "config")
    ],
    # The add-on's settings pages ---------------------------------------------------------------
    Entry("addons/", {"GET": logged_in_page()}, note="lists the person's own companies' add-ons"),
    Entry(
        "addons/<slug:slug>/", member_methods(None), kwargs=lambda w: {"slug": w.acme.addon.slug}
    ),
    Entry(
        "addons/<slug:slug>/resources/<uuid:resource_uuid>/",
        member_methods(None),
        kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.acme.resource.uuid,
        },
        foreign_kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.rival.resource.uuid,
        },
    ),
    Entry(
        "addons/<slug:slug>/manifest/",
        member_methods(
            Permission.MANAGE_MANIFESTS,
            post=redirect("/addons/acme-marker-search/manifest/"),
        ),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        data=lambda world: {
            "base_url": "https://changed.example.com/heroku/resources",
            "sso_url": "https://changed.example.com/sso/login",
            "regions": "us eu",
            "config_vars_prefix": "",
            "config_vars": "ACME_MARKER_SEARCH_URL",
        },
    ),
    Entry(
        "addons/<slug:slug>/manifest/import/",
        member_methods(
            Permission.MANAGE_MANIFESTS,
            post=redirect("/addons/acme-marker-search/manifest/"),
        ),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        data=_manifest_import_data,
    ),
    Entry(
        "addons/<slug:slug>/manifest/export/",
        {
            "GET": member_page(Permission.MANAGE_MANIFESTS, NOT_ALLOWED),
            "POST": member_page(Permission.MANAGE_MANIFESTS, OK),
        },
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        note="the one download that holds the password and SSO salt (audited)",
    ),
    Entry(
        "addons/<slug:slug>/manifest/password/",
        member_methods(
            Permission.MANAGE_MANIFESTS,
            post=redirect("/addons/acme-marker-search/manifest/"),
        ),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
    ),
    Entry(
        "addons/<slug:slug>/oauth-secret/",
        member_methods(Permission.OAUTH_SECRETS, post=OK),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        note="the POST answer is the one page that shows the client secret (audited)",
    ),
    Entry(
        "addons/<slug:slug>/oauth-secret/reset/",
        member_methods(Permission.OAUTH_SECRETS, post=OK),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
    ),
    Entry(
        "addons/<slug:slug>/marketing/",
        member_methods(
            Permission.MARKETING_BILLING,
            post=redirect("/addons/acme-marker-search/marketing/"),
        ),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        data=lambda world: {
            "marketing_description": "Changed.",
            "billing_email": "billing@acme.example",
        },
    ),
    Entry(
        "addons/<slug:slug>/plans/",
        member_methods(Permission.INSTALL_PLANS),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
    ),
    # The add-on lifecycle: its service's settings, and rotating a resource's credentials -------
    Entry(
        "addons/<slug:slug>/service/",
        member_methods(
            Permission.MANAGE_MANIFESTS, post=redirect("/addons/acme-marker-search/service/")
        ),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        data=lambda world: {"url": "https://service.acme.example/events"},
    ),
    Entry(
        "addons/<slug:slug>/service/secret/",
        member_methods(Permission.MANAGE_MANIFESTS, post=OK),
        kwargs=lambda w: {"slug": w.acme.addon.slug},
        note="the POST answer is the one page that shows a new signing secret (audited)",
    ),
    Entry(
        "addons/<slug:slug>/resources/<uuid:resource_uuid>/sync/",
        {
            "GET": member_page(Permission.SUPPORT_TICKETS, NOT_ALLOWED),
            "POST": member_page(
                Permission.SUPPORT_TICKETS, redirect("/addons/acme-marker-search/resources/")
            ),
        },
        kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.acme.resource.uuid,
        },
        foreign_kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.rival.resource.uuid,
        },
        note="'Sync now' queues a read of the list from Heroku; ticket handlers need it fresh",
    ),
    Entry(
        "addons/<slug:slug>/resources/<uuid:resource_uuid>/rotate-credentials/",
        member_methods(
            Permission.MANAGE_MANIFESTS,
            post=redirect("/addons/acme-marker-search/resources/"),
        ),
        kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.acme.resource.uuid,
        },
        foreign_kwargs=lambda world: {
            "slug": world.acme.addon.slug,
            "resource_uuid": world.rival.resource.uuid,
        },
    ),
]


# Add-on SSO and the resource dashboard: a session from Heroku's signed login, for one resource ----
SSO_ENTRIES = [
    Entry(
        "sso/login",
        {
            "GET": everyone(NOT_ALLOWED),
            "POST": everyone(redirect("/dashboard/")),
        },
        data=lambda world: sso_login_form(world.acme.resource),
        note="Heroku's signed token is the credential, whoever posts it; it ends any portal login",
    ),
    Entry(
        "dashboard/<uuid:resource_uuid>/",
        {"GET": by_role(FORBIDDEN, sso_dashboard_user=OK)},
        kwargs=lambda world: {"resource_uuid": world.acme.resource.uuid},
        foreign_kwargs=lambda world: {"resource_uuid": world.rival.resource.uuid},
        foreign_role=SSO_USER,
        foreign_answer=FORBIDDEN,
        discloses=("Acme Marker Search", "acme-marker-search"),
        note="a portal login is not an SSO session; an SSO session opens its own resource only; "
        "the page shows the add-on's and the resource's names to their Heroku user",
    ),
    Entry(
        "dashboard/<uuid:resource_uuid>/rotate-credentials",
        {
            "GET": by_role(FORBIDDEN, sso_dashboard_user=OK),
            "POST": by_role(FORBIDDEN, sso_dashboard_user=redirect("/dashboard/")),
        },
        kwargs=lambda world: {"resource_uuid": world.acme.resource.uuid},
        foreign_kwargs=lambda world: {"resource_uuid": world.rival.resource.uuid},
        foreign_role=SSO_USER,
        foreign_answer=FORBIDDEN,
        discloses=("Acme Marker Search", "acme-marker-search"),
        note="the customer of the resource rotates its credentials (the app restarts)",
    ),
    Entry(
        "dashboard/<uuid:resource_uuid>/tickets/new",
        {
            "GET": by_role(FORBIDDEN, sso_dashboard_user=OK),
            "POST": by_role(FORBIDDEN, sso_dashboard_user=redirect("/dashboard/")),
        },
        kwargs=lambda world: {"resource_uuid": world.acme.resource.uuid},
        foreign_kwargs=lambda world: {"resource_uuid": world.rival.resource.uuid},
        foreign_role=SSO_USER,
        foreign_answer=FORBIDDEN,
        data=lambda world: {"subject": "From the dashboard", "body": "Please help."},
        discloses=("Acme Marker Search", "acme-marker-search"),
    ),
    Entry(
        "demo/",
        {"GET": everyone(NOT_FOUND), "POST": everyone(NOT_FOUND)},
        note="the offline demo's 'Sign in as a Heroku customer' exists only while DEBUG is on "
        "(tests/addons/test_demo_sign_in.py tries it on)",
    ),
]


# The admin: every URL requires an operator -------------------------------------------------------
# Everyone else is sent to the admin's login page, whatever the method, and changes nothing.
def admin_only(operator: Answer) -> dict[str, Answer]:
    return by_role(ADMIN_LOGIN, operator=operator)


def admin_object(model) -> Kwargs:
    """The first row of MODEL (the world has one of every model the admin shows)."""

    def kwargs(world: World) -> dict:
        return {"object_id": model._default_manager.order_by("pk").first().pk}

    return kwargs


# What the operator gets where the admin refuses an action to everyone (rows written only by
# services or by Heroku): model label -> view -> answer.
OPERATOR_ADMIN_OVERRIDES = {
    "accounts.companyuser": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "accounts.invitation": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "accounts.auditevent": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "accounts.notification": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.addonresource": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.syncrun": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.partnerapicall": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.lifecycleevent": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.credentialrotation": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.addonservice": {"add": FORBIDDEN, "delete": FORBIDDEN},
    "addons.ticket": {"delete": FORBIDDEN},
    "django_q.success": {"add": FORBIDDEN},
    "django_q.ormq": {"add": FORBIDDEN},
    "django_q.failure": {"add": FORBIDDEN},
    # django-axes writes its records of logins itself.
    "axes.accessattempt": {"add": FORBIDDEN},
    "axes.accesslog": {"add": FORBIDDEN},
    "axes.accessfailurelog": {"add": FORBIDDEN},
}


def admin_model_entries(site) -> list[Entry]:
    """The standard views of every model registered with SITE."""
    entries = []
    for model in site._registry:
        label = model._meta.label_lower
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        overrides = OPERATOR_ADMIN_OVERRIDES.get(label, {})
        obj = admin_object(model)

        def answers(view: str, ok: Answer = OK, overrides=overrides) -> dict:
            # Everyone but the operator is refused a POST too; the operator's own forms are
            # tested with the admin (tests/*/test_admin*.py).
            return {
                "GET": admin_only(overrides.get(view, ok)),
                "POST": admin_only(NOT_TRIED),
            }

        change_redirect = redirect(f"/{base}")  # then the object's id and change/
        entries += [
            Entry(base, answers("changelist")),
            Entry(base + "add/", answers("add")),
            Entry(base + "<path:object_id>/history/", answers("history"), kwargs=obj),
            Entry(base + "<path:object_id>/delete/", answers("delete"), kwargs=obj),
            Entry(base + "<path:object_id>/change/", answers("change"), kwargs=obj),
            Entry(base + "<path:object_id>/", answers("object", change_redirect), kwargs=obj),
        ]
    return entries


ADMIN_ENTRIES = [
    Entry("admin/", {"GET": admin_only(OK)}),
    Entry(
        "admin/login/",
        {"GET": by_role(OK, anonymous=OK, operator=redirect("/admin/"))},
        note="a logged-in non-operator sees 'you are not authorized' and the login form",
    ),
    Entry(
        "admin/logout/",
        {
            "GET": by_role(redirect("/admin/"), operator=NOT_ALLOWED),
            "POST": by_role(redirect("/admin/"), operator=redirect("/accounts/login/")),
        },
        note="the admin sends anyone but an operator to its index, which asks them to log in",
    ),
    Entry("admin/password_change/", {"GET": admin_only(OK)}),
    Entry("admin/password_change/done/", {"GET": admin_only(OK)}),
    Entry("admin/autocomplete/", {"GET": admin_only(FORBIDDEN)}),
    Entry("admin/jsi18n/", {"GET": admin_only(OK)}),
    Entry(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        {"GET": admin_only(redirect("http://testserver/company/acme/users/"))},
        kwargs=lambda world: {
            "content_type_id": __import__(
                "django.contrib.contenttypes.models", fromlist=["ContentType"]
            )
            .ContentType.objects.get_for_model(world.acme.company)
            .pk,
            "object_id": world.acme.company.pk,
        },
    ),
    Entry(
        "admin/^(?P<app_label>auth|django_q|axes|account|socialaccount|accounts|addons)/$",
        {"GET": admin_only(OK)},
        kwargs=lambda world: {"app_label": "addons"},
    ),
    Entry(
        "admin/(?P<url>.*)$",
        {"GET": admin_only(NOT_FOUND)},
        kwargs=lambda world: {"url": "no-such-page/"},
    ),
    Entry(
        "admin/accounts/user/<id>/password/",
        {"GET": admin_only(OK), "POST": admin_only(NOT_TRIED)},
        kwargs=lambda world: {"id": world.acme.target.user.pk},
    ),
    Entry(
        "admin/accounts/company/<int:object_id>/add-company-user/",
        {
            "GET": admin_only(OK),
            "POST": admin_only(redirect("/admin/accounts/company/")),
        },
        kwargs=lambda world: {"object_id": world.acme.company.pk},
        data=lambda world: {"email": world.outsider.email, "permissions": all_rights},
    ),
    Entry(
        "admin/accounts/companyuser/<int:object_id>/rights/",
        {
            "GET": admin_only(OK),
            "POST": admin_only(redirect("/admin/accounts/company/")),
        },
        kwargs=lambda world: {"object_id": world.acme.target.pk},
        data=lambda world: {"permissions": all_rights},
        note="operators set anyone's rights but their own (only lowered) with the model permission",
    ),
    Entry(
        "admin/accounts/companyuser/<int:object_id>/revoke/",
        {
            "GET": admin_only(OK),
            "POST": admin_only(redirect("/admin/accounts/company/")),
        },
        kwargs=lambda world: {"object_id": world.acme.target.pk},
        data=lambda world: {"confirm": "yes"},
    ),
]


def _webhook_subscription(world: World):
    """Return acme's resource's webhook subscription (made once, with its secrets)."""
    from addons.models import WebhookSubscription

    subscription, _ = WebhookSubscription.objects.get_or_create(
        resource=world.acme.resource,
        defaults={"status": "active", "authorization": "Bearer a", "secret": "s", "heroku_id": "w"},
    )
    return subscription
