from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts import views

app_name = "accounts"

company = "company/<slug:slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("provider/join/", views.JoinProviderProgramView.as_view(), name="join-provider-program"),
    path("provider/companies/new/", views.CompanyCreateView.as_view(), name="company-create"),
    path(company + "users/", views.CompanyUsersView.as_view(), name="company-users"),
    path(company + "users/add/", views.CompanyUserAddView.as_view(), name="company-user-add"),
    path(
        company + "users/<int:pk>/permissions/",
        views.CompanyUserEditView.as_view(),
        name="company-user-edit",
    ),
    path(
        company + "users/<int:pk>/revoke/",
        views.CompanyUserRevokeView.as_view(),
        name="company-user-revoke",
    ),
    path(
        company + "ticket-notifications/",
        views.TicketNotificationsView.as_view(),
        name="ticket-notifications",
    ),
    path(
        company + "invitations/new/", views.InvitationCreateView.as_view(), name="invitation-create"
    ),
    path(
        company + "invitations/<int:pk>/resend/",
        views.InvitationActionView.as_view(action="resend"),
        name="invitation-resend",
    ),
    path(
        company + "invitations/<int:pk>/cancel/",
        views.InvitationActionView.as_view(action="cancel"),
        name="invitation-cancel",
    ),
    path(
        "invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation-accept"
    ),
]


# The portal's own versions of django-allauth pages (accounts.views.auth); included ahead of
# allauth.urls, so that at the same addresses they win.
portal_account_pages = [
    path("login/", views.LoginView.as_view(), name="account_login"),
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    re_path(
        r"^confirm-email/(?P<key>[-:\w]+)/$",
        views.ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.PasswordResetFromKeyView.as_view(),
        name="account_reset_password_from_key",
    ),
    # allauth serves these whatever its settings; the portal offers no login or reauthentication
    # by a mailed code.
    path("login/code/confirm/", views.not_offered),
    path("reauthenticate/code/", views.not_offered),
    path("reauthenticate/code/confirm/", views.not_offered),
]

# Un-namespaced, as django-allauth and templates/base.html expect; included by portal/urls.py.
# Sign-up, verification, login, logout and passwords are django-allauth's (allauth.urls, under
# accounts/). The addresses of the pages before allauth redirect to their successors.
root_urlpatterns = [
    path("provider/home", views.ProviderHomeView.as_view(), name="provider-home"),
    path("accounts/", include(portal_account_pages)),
    path("accounts/", include("allauth.urls")),
    path(
        "accounts/password_change/",
        RedirectView.as_view(pattern_name="account_change_password", permanent=True),
    ),
    path(
        "accounts/password_change/done/",
        RedirectView.as_view(pattern_name="account_change_password", permanent=True),
    ),
    path(
        "accounts/password_reset/",
        RedirectView.as_view(pattern_name="account_reset_password", permanent=True),
    ),
    path(
        "accounts/password_reset/done/",
        RedirectView.as_view(pattern_name="account_reset_password_done", permanent=True),
    ),
    path("accounts/reset/<uidb64>/<token>/", views.legacy_password_reset_link),
    path(
        "accounts/reset/done/",
        RedirectView.as_view(pattern_name="account_login", permanent=True),
    ),
]
