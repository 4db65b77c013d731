"""Accepting an invitation: GET shows what it grants, only a POST uses it up."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views import View

from accounts import selectors, services, throttling
from accounts.addresses import normalize_email
from accounts.exceptions import (
    AlreadyMemberError,
    InvalidInvitationLinkError,
    InvitationError,
    InvitationForAnotherEmailError,
    NotInProviderProgramError,
    NotPermittedError,
    SenderCannotGrantError,
    UnverifiedEmailError,
)
from accounts.views.common import invitation_links_throttled, render_error, render_unverified


class InvitationAcceptView(View):
    """GET shows what the invitation grants; only a POST uses it up (mail scanners only GET)."""

    template_name = "accounts/invitation_accept.html"

    def dispatch(self, request, *args, **kwargs):
        # Blocked before the token is looked at, so that a blocked address learns nothing.
        if throttling.invitation_links_blocked(request):
            return invitation_links_throttled(request)
        return super().dispatch(request, *args, **kwargs)

    def invitation_error(self, request, exc: InvitationError):
        if isinstance(exc, InvalidInvitationLinkError):
            throttling.record_bad_invitation_link(request)
            status = 404
        elif isinstance(exc, (InvitationForAnotherEmailError, SenderCannotGrantError)):
            # A sender who can no longer grant it: the invitee can do nothing with this link
            # but ask for a new one, which the message says. The invitation is left as it is.
            status = 403
        else:
            status = 410
        return render_error(
            request, title="This invitation can't be used", message=str(exc), status=status
        )

    def get(self, request, token):
        try:
            invitation = services.get_invitation_for_token(token)
        except InvitationError as exc:
            return self.invitation_error(request, exc)
        user = request.user
        return render(
            request,
            self.template_name,
            {
                "title": f"Join {invitation.company.name}",
                "invitation": invitation,
                "token": token,
                "email_matches": user.is_authenticated
                and normalize_email(user.email) == normalize_email(invitation.email),
                "email_verified": user.is_authenticated and selectors.has_verified_email(user),
            },
        )

    def post(self, request, token):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            company_user = services.accept_invitation(token=token, user=request.user)
        except UnverifiedEmailError as exc:
            return render_unverified(request, exc, title="Verify your e-mail address first")
        except NotInProviderProgramError as exc:
            return render_error(
                request,
                title="Join the Provider Program first",
                message=str(exc),
                status=403,
                back_url=request.get_full_path(),
            )
        except AlreadyMemberError as exc:
            return render_error(
                request, title="Already a company user", message=str(exc), status=409
            )
        except InvitationError as exc:
            return self.invitation_error(request, exc)
        except NotPermittedError as exc:
            return render_error(
                request, title="This invitation can't be used", message=str(exc), status=403
            )
        messages.success(request, f"You are now a user of {company_user.company}.")
        return redirect(company_user.company)
