from django.contrib.auth import views as auth_views
from django.urls import path

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


def _form_page(title: str, submit: str) -> dict:
    return {"title": title, "submit_label": submit}


# Un-namespaced, as django.contrib.auth and templates/base.html expect; included by portal/urls.py.
root_urlpatterns = [
    path("provider/home", views.ProviderHomeView.as_view(), name="provider-home"),
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="accounts/auth/login.html",
            redirect_authenticated_user=True,
            extra_context={"title": "Log in"},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/auth/form.html",
            extra_context=_form_page("Change your password", "Change password"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/auth/message.html",
            extra_context={"title": "Password changed", "message": "Your password was changed."},
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/auth/form.html",
            extra_context=_form_page("Reset your password", "Email me a reset link"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/auth/message.html",
            extra_context={
                "title": "Check your email",
                "message": "If an account uses that address, we emailed it a link to set a new "
                "password.",
            },
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/auth/form.html",
            extra_context={
                **_form_page("Set a new password", "Set password"),
                "invalid_message": "This password reset link is invalid or was already used. "
                "Ask for a new one.",
            },
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/auth/message.html",
            extra_context={
                "title": "Password set",
                "message": "Your new password is set. You can log in with it now.",
                "show_login": True,
            },
        ),
        name="password_reset_complete",
    ),
]
