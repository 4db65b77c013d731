"""Account pages, the provider home and the Company tab. Each view validates, calls one service and
redirects; the rules live in accounts.services."""

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
    SignupView,
    home,
)

__all__ = [
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
    "ProviderHomeView",
    "SignupView",
    "TicketNotificationsView",
    "home",
    "invitation_links_throttled",
    "login_lockout",
    "render_error",
    "safe_next_url",
]
