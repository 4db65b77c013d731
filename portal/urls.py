from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("addons.urls")),
]

# TEMPORARY (tickets branch): base.html links to these names, which the accounts branch defines.
# Drop this block when merging with it.
urlpatterns += [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("signup/", RedirectView.as_view(pattern_name="login"), name="signup"),
    path("home/", RedirectView.as_view(pattern_name="addons:ticket-list"), name="provider-home"),
]
