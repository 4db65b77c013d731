"""Account pages, the provider home and the Company tab. Each view validates, calls one service and
redirects; the rules live in accounts.services."""

from accounts.views.auth import (
    ConfirmEmailView,
    LoginView,
    PasswordResetFromKeyView,
    SignupView,
    legacy_password_reset_link,
    not_offered,
)
from accounts.views.common import (
    InvalidFormStatusMixin,
    invitation_links_throttled,
    login_lockout,
    render_error,
    safe_next_url,
)
from accounts.views.company import (
    CompanyCreateView,
    CompanyUserAddView,
    CompanyUserEditView,
    CompanyUserRevokeView,
    CompanyUsersView,
    InvitationActionView,
    InvitationCreateView,
    TicketNotificationsView,
)
from accounts.views.invitations import InvitationAcceptView
from accounts.views.people import (
    JoinProviderProgramView,
    ProviderHomeView,
    home,
)

__all__ = [
    "ConfirmEmailView",
    "PasswordResetFromKeyView",
    "CompanyCreateView",
    "CompanyUserAddView",
    "CompanyUserEditView",
    "CompanyUserRevokeView",
    "CompanyUsersView",
    "InvalidFormStatusMixin",
    "InvitationAcceptView",
    "InvitationActionView",
    "InvitationCreateView",
    "JoinProviderProgramView",
    "LoginView",
    "ProviderHomeView",
    "SignupView",
    "TicketNotificationsView",
    "home",
    "invitation_links_throttled",
    "legacy_password_reset_link",
    "not_offered",
    "login_lockout",
    "render_error",
    "safe_next_url",
]
