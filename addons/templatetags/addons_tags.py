from django import template

register = template.Library()


@register.filter
def dollars(cents) -> str:
    """Return an amount in CENTS as dollars, e.g. 2500 → "$25.00"."""
    try:
        return f"${int(cents) / 100:,.2f}"
    except (TypeError, ValueError):
        return ""


_CHOICES = {"status_changed": "Status", "priority_changed": "Priority"}


@register.filter
def change_label(value, kind: str) -> str:
    """Return a ticket event's raw VALUE as people read it: "open" → "Open", None → "nobody"."""
    from addons.models import Ticket

    if value in (None, ""):
        return "nobody"
    choices = getattr(Ticket, _CHOICES.get(kind, ""), None)
    if choices is not None and value in choices.values:
        return choices(value).label
    return str(value)


@register.filter
def get_item(mapping, key):
    """Return MAPPING[KEY], or KEY itself when it is missing (a label for a raw value)."""
    return mapping.get(key, key)
