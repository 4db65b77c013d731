"""The portal's ticket pages and the ticket intake API. Each view calls one service."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView, TemplateView

from accounts.mixins import get_membership, require_permission
from accounts.permissions import Permission
from addons.models import Addon, Ticket, TicketEvent
from addons.tickets import intake, services
from addons.tickets.exceptions import IntakeError, TicketError
from addons.tickets.forms import TicketChangeForm, TicketFilterForm, TicketMessageForm
from addons.tickets.selectors import ticket_memberships

CHANGED_FIELD = {
    TicketEvent.Kind.STATUS_CHANGED: "status",
    TicketEvent.Kind.PRIORITY_CHANGED: "priority",
    TicketEvent.Kind.ASSIGNED: "assignee",
}


class TicketListView(LoginRequiredMixin, ListView):
    """The tickets of every company where the user holds support_tickets, filterable."""

    template_name = "addons/tickets/ticket_list.html"
    context_object_name = "tickets"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.memberships = list(ticket_memberships(request.user).select_related("company"))
        if not self.memberships:
            raise PermissionDenied(
                f"You need the “{Permission.SUPPORT_TICKETS.label}” right at a company "
                "for this page."
            )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        companies = [m.company_id for m in self.memberships]
        self.filter_form = TicketFilterForm(
            self.request.GET or None,
            addons=Addon.objects.filter(company__in=companies).order_by("name"),
            user=self.request.user,
        )
        tickets = Ticket.objects.filter(addon__company__in=companies).select_related(
            "addon", "resource", "assignee"
        )
        return self.filter_form.filter(tickets)

    def get_context_data(self, **kwargs):
        filters = self.request.GET.copy()
        filters.pop("page", None)
        return super().get_context_data(
            title="Support tickets",
            filter_form=self.filter_form,
            filter_query=filters.urlencode(),
            memberships=self.memberships,
            **kwargs,
        )


class TicketDetailView(LoginRequiredMixin, TemplateView):
    """One ticket with its history; POST adds a reply or a note, or changes the status, priority
    and assignee together (closing asks for a confirmation first)."""

    template_name = "addons/tickets/ticket_detail.html"
    forms = {"message": TicketMessageForm, "change": TicketChangeForm}

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.ticket = get_object_or_404(
            Ticket.objects.select_related("addon__company", "resource", "assignee"),
            pk=kwargs["pk"],
        )
        # Not a user of the ticket's company: 404, so that ticket numbers leak nothing.
        membership = get_membership(request.user, self.ticket.addon.company.slug)
        require_permission(membership, Permission.SUPPORT_TICKETS)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        forms = {
            "message_form": TicketMessageForm(),
            "change_form": TicketChangeForm(ticket=self.ticket),
        }
        forms.update(kwargs)
        events = list(self.ticket.events.select_related("actor"))
        return super().get_context_data(
            title=f"Ticket #{self.ticket.number}: {self.ticket.subject}",
            ticket=self.ticket,
            request_event=events[0] if events else None,
            events=events,
            is_closed=self.ticket.status == Ticket.Status.CLOSED,
            **forms,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.forms:
            messages.error(request, "Unknown action.")
            return redirect(self.ticket)
        extra = {"ticket": self.ticket} if action == "change" else {}
        form = self.forms[action](request.POST, **extra)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(**{f"{action}_form": form}), status=400
            )
        if action == "change" and form.closes and request.POST.get("confirmed") != "yes":
            context = {**self.get_context_data(change_form=form), "title": "Close this ticket?"}
            return self.response_class(request, "addons/tickets/ticket_close_confirm.html", context)
        try:
            notice = self.apply(action, form.cleaned_data)
        except (TicketError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            return self.render_to_response(
                self.get_context_data(**{f"{action}_form": form}), status=400
            )
        messages.success(request, notice)
        return redirect(self.ticket)

    def apply(self, action: str, data: dict) -> str:
        user = self.request.user
        if action == "message" and data["visibility"] == "internal":
            services.add_internal_note(ticket=self.ticket, body=data["body"], actor=user)
            return "Internal note added."
        if action == "message":
            services.reply_to_ticket(ticket=self.ticket, body=data["body"], actor=user)
            return "Reply sent."
        events = services.update_ticket(
            ticket=self.ticket,
            status=data["status"],
            priority=data["priority"],
            assignee=data["assignee"],
            actor=user,
        )
        changed = [CHANGED_FIELD[event.kind] for event in events]
        return f"Changed the {' and '.join(changed)}."


@method_decorator(csrf_exempt, name="dispatch")
class TicketIntakeView(View):
    """`POST /tickets/intake`: a support tool opens a ticket with its add-on's bearer token."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            token = intake.bearer_token(request.headers.get("Authorization", ""))
            if request.content_type not in ("application/json", ""):
                raise IntakeError("Send the ticket as Content-Type: application/json.", status=415)
            payload = intake.read_payload(_read_at_most(request, intake.MAX_BODY_BYTES))
            addon = intake.authenticate(payload, token)
            ticket_request = intake.validate_payload(payload, addon=addon)
            ticket = services.open_ticket(
                addon=addon,
                resource=ticket_request.resource,
                subject=ticket_request.subject,
                body=ticket_request.body,
                requester_email=ticket_request.requester_email,
                priority=ticket_request.priority,
                escalate=ticket_request.escalate,
                source=services.TicketSource.INTAKE,
            )
        except IntakeError as exc:
            response = JsonResponse({"message": str(exc)}, status=exc.status)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="ticket intake"'
            return response
        except (TicketError, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            return JsonResponse({"message": message}, status=422)
        response = JsonResponse({"id": ticket.pk, "number": ticket.number}, status=201)
        response["Location"] = ticket.get_absolute_url()
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = JsonResponse({"message": "Use POST."}, status=405)
        response["Allow"] = "POST"
        return response


def _read_at_most(request, limit: int) -> bytes:
    # Refuse by the declared length before reading, and never read more than LIMIT + 1 bytes of a
    # body without one.
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise IntakeError("Content-Length is not a number.", status=400) from None
    if declared > limit:
        raise IntakeError(f"The request body is larger than {limit} bytes.", status=413)
    return request.read(limit + 1)
