"""The add-on pages: the add-ons of a person's companies, one add-on, one resource."""

import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import CompanyMemberMixin
from accounts.models import CompanyUser
from accounts.permissions import Permission
from addons import overview
from addons.access.tasks import enqueue_sync
from addons.mixins import AddonMemberMixin
from addons.models import AccessGrant, Addon, AddonResource, SyncRun

# The add-on's settings in the portal (issue 4) ------------------------------------------------
RESOURCES_PER_PAGE = 100


LIFECYCLE_EVENTS_SHOWN = 50


ROTATIONS_SHOWN = 10

ACCESS_ROWS_SHOWN = 200
ACCESS_CHANGES_SHOWN = 20
# "Sync now" re-reads one access list from Heroku. It spends the resource's Platform API rate
# limit, so not every company user may ask; those who handle support tickets answer "I was added
# on Heroku but cannot open the dashboard", and need a fresh list to answer it.
SYNC_RIGHT = Permission.SUPPORT_TICKETS


class CompanyHomeView(CompanyMemberMixin, TemplateView):
    """A company's home: its add-ons' health, the open tickets to pick up, and its users."""

    template_name = "addons/company_home.html"

    def get_context_data(self, **kwargs):
        handles_tickets = self.membership.has_permission(Permission.SUPPORT_TICKETS)
        tickets = overview.open_tickets(self.company)
        shown = overview.TICKETS_SHOWN
        return super().get_context_data(
            title=self.company.name,
            addons=overview.addon_health(self.company),
            handles_tickets=handles_tickets,
            my_tickets=tickets.filter(assignee=self.request.user)[:shown]
            if handles_tickets
            else (),
            unassigned_tickets=tickets.filter(assignee=None)[:shown] if handles_tickets else (),
            company_users=overview.company_users(self.company),
            can={p.value: self.membership.has_permission(p) for p in Permission},
            **kwargs,
        )


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
    """One resource of the add-on: its state, provision details, access-list status, grant
    error, each step of its lifecycle and its credential rotations."""

    template_name = "addons/resource_detail.html"

    def get_context_data(self, **kwargs):
        resource = get_object_or_404(
            self.addon.resources.select_related("plan").defer(
                "access_token", "refresh_token", "grant_code"
            ),
            uuid=self.kwargs["resource_uuid"],
        )
        grants = resource.grants.order_by("email")
        return super().get_context_data(
            title=f"Resource {resource}",
            resource=resource,
            # Who has access, why and with which role; the latest changes to the list.
            grants=grants[:ACCESS_ROWS_SHOWN],
            grant_count=grants.count(),
            source_labels=dict(AccessGrant.Source.choices),
            access_changes=resource.changes.order_by("-at", "-id")[:ACCESS_CHANGES_SHOWN],
            may_sync=self.membership.has_permission(SYNC_RIGHT),
            # Both carry Logplex credentials: the page says whether they are set, and the host.
            log_input_host=urlsplit(resource.log_input_url).hostname or "",
            log_drain_token_set=bool(resource.log_drain_token),
            options_json=json.dumps(resource.options, indent=2, sort_keys=True),
            config_names=sorted(resource.config) if isinstance(resource.config, dict) else [],
            events=resource.lifecycle_events.order_by("-at", "-id")[:LIFECYCLE_EVENTS_SHOWN],
            rotations=resource.rotations.all()[:ROTATIONS_SHOWN],
            call_log=self.addon.api_calls.filter(resource_uuid=str(resource.uuid))[:20],
            **kwargs,
        )


class ResourceSyncView(AddonMemberMixin, View):
    """POST: queue a sync of one resource's access list ("Sync now")."""

    required_permission = SYNC_RIGHT
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        resources = self.addon.resources.filter(uuid=kwargs["resource_uuid"])
        resource = get_object_or_404(resources)
        url = reverse("addons:resource-detail", args=[self.addon.slug, resource.uuid])
        if resource.state != AddonResource.State.PROVISIONED:
            messages.error(request, "Only a provisioned resource has an access list to sync.")
            return redirect(url)
        enqueue_sync(resources, trigger=SyncRun.Trigger.PORTAL, label="portal sync")
        messages.success(
            request,
            "A sync of this access list is queued; the worker runs it within a minute. "
            "Reload this page to see the result.",
        )
        return redirect(url)
