"""View mixins that load the company from the URL and check the user's rights there."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import CompanyUser
from accounts.services import CompanyUserActor


def get_membership(user, company_slug: str) -> CompanyUser:
    """Return USER's membership of the company; 404 when they are not a member (no leak)."""
    try:
        return CompanyUser.objects.select_related("company", "user").get(
            company__slug=company_slug, user=user
        )
    except CompanyUser.DoesNotExist:
        raise Http404("No such company.") from None


def require_permission(membership: CompanyUser, permission) -> None:
    """Raise PermissionDenied unless MEMBERSHIP holds PERMISSION."""
    if not membership.has_permission(permission):
        raise PermissionDenied(f"You need the “{permission.label}” right for this page.")


class CompanyMemberMixin(LoginRequiredMixin):
    """Sets `self.company` and `self.membership` from the `slug` URL argument.

    A person who is not a user of that company gets 404; one who lacks `required_permission` gets
    403. The check reads the database on every request, so a revocation takes effect at once for
    every session the person has.
    """

    required_permission = None
    company_url_kwarg = "slug"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = get_membership(request.user, kwargs[self.company_url_kwarg])
        self.company = self.membership.company
        permission = self.get_required_permission()
        if permission is not None:
            require_permission(self.membership, permission)
        return super().dispatch(request, *args, **kwargs)

    def get_required_permission(self):
        """Return the right this request needs (`required_permission` unless a view says)."""
        return self.required_permission

    @property
    def actor(self) -> CompanyUserActor:
        """The company user acting, as the services take them."""
        return CompanyUserActor(self.membership)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(company=self.company, membership=self.membership)
        return context
