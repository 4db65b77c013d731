"""Two companies with every kind of object a URL can name, users in every role, and secrets with
values distinctive enough that a search for them cannot match anything else.

`acme` is the company under test; `rival` is another company with the same kinds of objects, whose
ids must never open anything of acme's (and the other way round).
"""

import time
import uuid
from dataclasses import dataclass, field

from allauth.socialaccount.models import SocialAccount
from django.utils import timezone

from accounts import services
from accounts.models import Company, CompanyUser, Invitation, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import (
    AccessGrant,
    Addon,
    AddonResource,
    AddonService,
    CredentialRotation,
    LifecycleEvent,
    Plan,
    Ticket,
)
from addons.tickets.services import TicketSource, open_ticket
from tests.builders import sso_form

PASSWORD = "authz-table password 1"

# Secrets: each value is unique to one secret of one company, so a hit names the leak.
ACME_API_PASSWORD = "SECRETapiPasswordAcme7Qx2Lm9Vt4Zr"
ACME_SSO_SALT = "SECRETssoSaltAcme3Hw8Kp1Nd6Yc5Bj"
ACME_OAUTH_CLIENT_SECRET = "SECREToauthClientSecretAcme4Rf7Gs"
ACME_INTAKE_TOKEN = "SECRETintakeTokenAcme9Dk2Pw5Xm8Tq"
ACME_ACCESS_TOKEN = "SECRETaccessTokenAcme6Lb3Jn7Ve1Ua"
ACME_REFRESH_TOKEN = "SECRETrefreshTokenAcme2Mc8Hy4Wt9Os"
RIVAL_API_PASSWORD = "SECRETapiPasswordRival5Ng1Qe7Kz3Ph"
RIVAL_SSO_SALT = "SECRETssoSaltRival8Tb4Cw2Xr6Jm9Lf"
RIVAL_OAUTH_CLIENT_SECRET = "SECREToauthClientSecretRival1Vd5Gy"
RIVAL_INTAKE_TOKEN = "SECRETintakeTokenRival7Hs3Mq9Wn2Ek"
ACME_SERVICE_SECRET = "SECRETserviceSecretAcme5Jv8Nc3Qw6Rb"
RIVAL_SERVICE_SECRET = "SECRETserviceSecretRival2Gd9Lx4Tm7Hk"

# Strings that only acme's pages show: a page answered to anyone else must contain none of them.
ACME_MARKERS = (
    "Acme Marker Search",
    "acme-marker-search",
    "Acme-only ticket subject",
    "target@acme.example",
    "invitee@acme.example",
)

ROLE_WITHOUT = {p: f"without:{p.value}" for p in Permission}
# Managers without the other rights: they may add and remove other company users, but give only
# the rights they hold (issue 13).
USERS_MANAGER = "users_manager"
USERS_AND_TICKETS_MANAGER = "users_and_tickets_manager"
LIMITED_MANAGERS = {
    USERS_MANAGER: frozenset({Permission.MANAGE_COMPANY_USERS}),
    USERS_AND_TICKETS_MANAGER: frozenset(
        {Permission.MANAGE_COMPANY_USERS, Permission.SUPPORT_TICKETS}
    ),
}

# The Heroku user on the access list of acme's resource, who logs in to its dashboard by SSO.
DASHBOARD_USER_ID = "3c9e1f2a-7b4d-4e8a-9a1c-5d6f7e8a9b0c"
DASHBOARD_USER_EMAIL = "dashboard-user@heroku.example"
OUTSIDER_HEROKU_ID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@dataclass
class CompanyWorld:
    company: Company
    manager: CompanyUser
    target: CompanyUser  # a company user the others may edit or revoke
    addon: Addon
    plan: Plan
    resource: AddonResource
    ticket: Ticket
    invitation: Invitation
    invitation_token: str


@dataclass
class World:
    acme: CompanyWorld
    rival: CompanyWorld
    operator: User
    outsider: User  # a provider who is nobody's company user yet
    users: dict[str, User] = field(default_factory=dict)  # role -> user


def _provider(email: str) -> User:
    """A person whose address is verified and who joined the Provider Program."""
    user = User.objects.create_user(
        email, PASSWORD, name=email.split("@")[0], joined_provider_program_at=timezone.now()
    )
    services.mark_email_verified(user=user)
    return user


def _company(
    *,
    slug: str,
    name: str,
    domain: str,
    addon_slug: str,
    addon_name: str,
    subject: str,
    secrets: dict,
) -> CompanyWorld:
    company = Company.objects.create(name=name, slug=slug)
    manager = CompanyUser.objects.create(company=company, user=_provider(f"manager@{domain}"))
    target = CompanyUser.objects.create(
        company=company,
        user=_provider(f"target@{domain}"),
        permissions={Permission.SUPPORT_TICKETS},
        added_by=manager.user,
    )
    addon = Addon.objects.create(
        company=company,
        slug=addon_slug,
        name=addon_name,
        api_password=secrets["api_password"],
        sso_salt=secrets["sso_salt"],
        oauth_client_secret=secrets["oauth_client_secret"],
        base_url="https://portal.example.com/heroku/resources",
        sso_url="https://portal.example.com/sso/login",
        regions=["us"],
        config_vars=[f"{addon_slug.upper().replace('-', '_')}_URL"],
    )
    addon.set_intake_token(secrets["intake_token"])
    addon.save()
    plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
    Plan.objects.create(addon=addon, slug="pro", name="Pro", price_cents=2500)
    resource = AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=plan,
        name=f"{addon_slug}-resource",
        state=AddonResource.State.PROVISIONED,
        app_name=f"{slug}-app",
        access_token=secrets.get("access_token", ""),
        refresh_token=secrets.get("refresh_token", ""),
        last_synced_at=timezone.now(),
        sync_status=AddonResource.SyncStatus.OK,
    )
    # The add-on's service: its signing secret is set, its URL is not (no event leaves the test).
    AddonService.objects.create(addon=addon, signing_secret=secrets["service_secret"])
    LifecycleEvent.objects.create(resource=resource, step="provision", outcome="done")
    CredentialRotation.objects.create(resource=resource, trigger="customer", status="retired")
    ticket = open_ticket(
        addon=addon,
        resource=resource,
        subject=subject,
        body="The first message.",
        requester_email=f"customer@{domain}",
        source=TicketSource.DASHBOARD,
    )
    invitation = services.invite_company_user(
        company=company,
        email=f"invitee@{domain}",
        permissions={Permission.SUPPORT_TICKETS},
        actor=services.CompanyUserActor(manager),
    )
    return CompanyWorld(
        company=company,
        manager=manager,
        target=target,
        addon=addon,
        plan=plan,
        resource=resource,
        ticket=ticket,
        invitation=invitation,
        invitation_token=services.make_invitation_token(invitation),
    )


def build_world() -> World:
    """Create both companies, a user for every role and the operator."""
    acme = _company(
        slug="acme",
        name="Acme Add-ons",
        domain="acme.example",
        addon_slug="acme-marker-search",
        addon_name="Acme Marker Search",
        subject="Acme-only ticket subject",
        secrets={
            "api_password": ACME_API_PASSWORD,
            "sso_salt": ACME_SSO_SALT,
            "oauth_client_secret": ACME_OAUTH_CLIENT_SECRET,
            "intake_token": ACME_INTAKE_TOKEN,
            "access_token": ACME_ACCESS_TOKEN,
            "refresh_token": ACME_REFRESH_TOKEN,
            "service_secret": ACME_SERVICE_SECRET,
        },
    )
    rival = _company(
        slug="rival",
        name="Rival Add-ons",
        domain="rival.example",
        addon_slug="rival-cache",
        addon_name="Rival Cache",
        subject="Rival-only ticket subject",
        secrets={
            "api_password": RIVAL_API_PASSWORD,
            "sso_salt": RIVAL_SSO_SALT,
            "oauth_client_secret": RIVAL_OAUTH_CLIENT_SECRET,
            "intake_token": RIVAL_INTAKE_TOKEN,
            "service_secret": RIVAL_SERVICE_SECRET,
        },
    )
    AccessGrant.objects.create(
        resource=acme.resource,
        email=DASHBOARD_USER_EMAIL,
        heroku_user_id=DASHBOARD_USER_ID,
        sources=[AccessGrant.Source.COLLABORATOR],
        role="collaborator",
    )
    world = World(
        acme=acme,
        rival=rival,
        operator=User.objects.create_superuser("operator@example.com", PASSWORD),
        outsider=_provider("outsider@example.com"),
    )
    # The outsider logs in with Heroku too (the admin lists Heroku logins).
    SocialAccount.objects.create(
        user=world.outsider,
        provider="heroku",
        uid=OUTSIDER_HEROKU_ID,
        extra_data={"id": OUTSIDER_HEROKU_ID, "email": world.outsider.email, "verified": True},
    )
    world.users["manager"] = acme.manager.user
    world.users["other_company_manager"] = rival.manager.user
    world.users["operator"] = world.operator
    for permission, role in ROLE_WITHOUT.items():
        user = _provider(f"without-{permission.value.replace('_', '-')}@acme.example")
        CompanyUser.objects.create(
            company=acme.company,
            user=user,
            permissions=ALL_PERMISSIONS - {permission},
            added_by=acme.manager.user,
        )
        world.users[role] = user
    for role, rights in LIMITED_MANAGERS.items():
        user = _provider(f"{role.replace('_', '-')}@acme.example")
        CompanyUser.objects.create(
            company=acme.company, user=user, permissions=rights, added_by=acme.manager.user
        )
        world.users[role] = user
    return world


def sso_login_form(resource: AddonResource, *, salt: str = ACME_SSO_SALT, age: int = 0) -> dict:
    """Return the form Heroku posts to /sso/login to log the dashboard user in to RESOURCE,
    signed AGE seconds ago (each token is accepted once: a second login needs another age)."""
    form = sso_form(
        resource,
        user_id=DASHBOARD_USER_ID,
        email=DASHBOARD_USER_EMAIL,
        timestamp=int(time.time()) - age,
        salt=salt,
    )
    del form["nav-data"]
    return {**form, "app": resource.app_name, "context_app": resource.app_name}
