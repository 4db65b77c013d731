"""The project's URLs plus a login-protected stand-in for a portal page, for the SSO tests.

Until the accounts pages are merged, this branch has no `login` route and no page behind a portal
login; these two stand in for them. Where the real ones exist, theirs come first and win.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


@login_required
def portal_page(request):
    return HttpResponse("a portal page")


urlpatterns = [
    *portal_urlpatterns,
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("probe/portal-page/", portal_page, name="probe-portal-page"),
]
