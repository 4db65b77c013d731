"""View mixins of the add-on pages: load the add-on from the URL, check the user's rights there."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404

from accounts.mixins import get_membership, require_permission
from accounts.permissions import Permission
from addons.models import Addon


class AddonMemberMixin(LoginRequiredMixin):
    """Sets `self.addon` and `self.membership` from the add-on slug in the URL.

    The add-on's company decides: a person who is not one of its users gets 404 (as for an
    add-on that does not exist), one who lacks `required_permission` gets 403.
    """

    required_permission = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.addon = get_object_or_404(Addon.objects.select_related("company"), slug=kwargs["slug"])
        self.membership = get_membership(request.user, self.addon.company.slug)
        if self.required_permission is not None:
            require_permission(self.membership, self.required_permission)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            addon=self.addon,
            company=self.addon.company,
            membership=self.membership,
            can={p.value: self.membership.has_permission(p) for p in Permission},
        )
        return context
