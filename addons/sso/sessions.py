"""The dashboard session an SSO login starts: bound to one resource and one Heroku user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone

from addons.models import AccessGrant, AddonResource
from addons.sso.exceptions import NoSSOSession, SSOSessionEnded
from addons.sso.services import SSOLogin, find_grant

SESSION_KEY = "heroku_sso"


NAV_DATA_COOKIE = "heroku-nav-data"


@dataclass(frozen=True)
class SSOSession:
    """The Heroku SSO session of the current request, checked against the stored access list."""

    resource: AddonResource
    grant: AccessGrant
    user_id: str
    email: str
    started_at: datetime


# The dashboard session -----------------------------------------------------------------------
def start_sso_session(request, login: SSOLogin, *, now: datetime | None = None) -> None:
    """Replace REQUEST's session with a Heroku SSO session for LOGIN (never a Django login)."""
    now = now or timezone.now()
    # A new session key, always: an SSO session must never carry a portal or admin login, nor a
    # session fixed by someone else. logout() (which also tells its listeners, django-axes among
    # them) is needed only when a portal user is logged in; otherwise flushing is the same.
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.flush()
    request.session[SESSION_KEY] = {
        "resource": str(login.resource.uuid),
        "user_id": login.user_id,
        "email": login.email,
        "started_at": int(now.timestamp()),
    }
    request.session.set_expiry(settings.SSO_SESSION_AGE)


def end_sso_session(request) -> None:
    """End REQUEST's session, SSO and all."""
    request.session.flush()


def current_sso_session(request, resource_uuid, *, now: datetime | None = None) -> SSOSession:
    """Return the SSO session for RESOURCE_UUID, re-checked against the stored list; or raise.

    Raises NoSSOSession when there is none for this resource (the session, if any, is kept), and
    SSOSessionEnded, after ending the session, when it expired, the resource is no longer
    provisioned, or the person is no longer on the stored access list.
    """
    now = now or timezone.now()
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("resource") != str(resource_uuid):
        raise NoSSOSession()
    started_at = datetime.fromtimestamp(int(data["started_at"]), tz=UTC)
    if (now - started_at).total_seconds() > settings.SSO_SESSION_AGE:
        end_sso_session(request)
        raise SSOSessionEnded("Your session expired.")
    resource = (
        AddonResource.objects.select_related("addon", "plan").filter(uuid=resource_uuid).first()
    )
    if resource is None or resource.state != AddonResource.State.PROVISIONED:
        end_sso_session(request)
        raise SSOSessionEnded(
            "This add-on is no longer installed on the app.",
            advice="If you think it should be, check the app's add-ons on your Heroku dashboard.",
        )
    grant = find_grant(resource, user_id=data["user_id"], email=data["email"])
    if grant is None:
        end_sso_session(request)
        app = resource.app_name or "the app"
        raise SSOSessionEnded(
            f"You are no longer a collaborator or team member of {app}.",
            advice=f"Ask an owner or admin of {app} to add you again, then open the add-on from "
            "the Heroku dashboard.",
        )
    return SSOSession(
        resource=resource,
        grant=grant,
        user_id=data["user_id"],
        email=data["email"],
        started_at=started_at,
    )
