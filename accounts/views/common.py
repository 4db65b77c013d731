"""What every accounts page shares: the error page, safe redirects, 400 on an invalid form."""

from django.conf import settings
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import throttling


def safe_next_url(request, default: str) -> str:
    """Return the `next` parameter when it is a path on this site, else DEFAULT.

    Only a path ("/…"): Django's redirect() reads a string without "/" or "." as a view name, so
    "0" would be a 500 and "login" a redirect to the log-in page.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def render_error(request, *, title: str, message: str, status: int, back_url: str = ""):
    """Render the error page with STATUS: a clear message, never a traceback."""
    return render(
        request,
        "accounts/error.html",
        {"title": title, "message": message, "back_url": back_url},
        status=status,
    )


def render_unverified(request, exc, *, title: str, status: int = 403):
    """Say that the person's address is not proven yet, with a button that sends a new link."""
    return render(
        request,
        "accounts/unverified.html",
        {"title": title, "message": str(exc), "email": exc.email},
        status=status,
    )


def login_lockout(request, response=None, credentials=None):
    """Answer a login refused by django-axes: 429 and when to try again (portal and admin)."""
    minutes = throttling.cooloff_minutes(settings.AXES_COOLOFF_TIME)
    return render_error(
        request,
        title="Too many failed login attempts",
        message=f"Too many failed login attempts; try again in {minutes} minutes.",
        status=429,
    )


def invitation_links_throttled(request):
    """Answer an invitation link from an address that tried too many bad ones: 429."""
    minutes = throttling.cooloff_minutes(settings.INVITATION_LINK_COOLOFF)
    return render_error(
        request,
        title="Too many invalid invitation links",
        message="Too many invalid invitation links were tried from your address; "
        f"try again in {minutes} minutes.",
        status=429,
    )


class InvalidFormStatusMixin:
    """Re-render an invalid form with 400, so that a client can tell it was refused."""

    def form_invalid(self, form, status: int = 400, **context):
        return self.render_to_response(self.get_context_data(form=form, **context), status=status)
