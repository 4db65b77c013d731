"""The add-on pages: the add-ons of a person's companies, one add-on, one resource."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from accounts.models import CompanyUser
from addons.mixins import AddonMemberMixin
from addons.models import Addon, AddonResource

# The add-on's settings in the portal (issue 4) ------------------------------------------------
RESOURCES_PER_PAGE = 100


class AddonListView(LoginRequiredMixin, TemplateView):
    """The add-ons of every company the person is a user of."""

    template_name = "addons/addon_list.html"
    extra_context = {"title": "Add-ons"}

    def get_context_data(self, **kwargs):
        companies = CompanyUser.objects.filter(user=self.request.user).values("company")
        addons = (
            Addon.objects.filter(company__in=companies)
            .select_related("company")
            .annotate(
                provisioned=Count(
                    "resources", filter=Q(resources__state=AddonResource.State.PROVISIONED)
                )
            )
        )
        return super().get_context_data(addons=addons, **kwargs)


class AddonDetailView(AddonMemberMixin, TemplateView):
    """The add-on: its plans and its resources, with their access-list and grant status."""

    template_name = "addons/addon_detail.html"

    def get_context_data(self, **kwargs):
        resources = (
            self.addon.resources.select_related("plan")
            .defer("access_token", "refresh_token", "grant_code", "options")
            .order_by("-created_at", "-id")
        )
        page = Paginator(resources, RESOURCES_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            title=self.addon.name,
            plans=self.addon.plans.all(),
            page=page,
            resources=page.object_list,
            grant_failures=self.addon.resources.exclude(grant_error="").count(),
            **kwargs,
        )


class ResourceDetailView(AddonMemberMixin, TemplateView):
    """One resource of the add-on: its state, access-list status and grant error."""

    template_name = "addons/resource_detail.html"

    def get_context_data(self, **kwargs):
        resource = get_object_or_404(
            self.addon.resources.select_related("plan").defer(
                "access_token", "refresh_token", "grant_code"
            ),
            uuid=self.kwargs["resource_uuid"],
        )
        return super().get_context_data(
            title=f"Resource {resource}",
            resource=resource,
            call_log=self.addon.api_calls.filter(resource_uuid=str(resource.uuid))[:20],
            **kwargs,
        )
