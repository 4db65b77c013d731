"""The project's URLs plus a login-protected stand-in for a portal page, for the SSO tests."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


@login_required
def portal_page(request):
    return HttpResponse("a portal page")


urlpatterns = [
    *portal_urlpatterns,
    path("probe/portal-page/", portal_page, name="probe-portal-page"),
]
