from django import template

register = template.Library()


@register.filter
def dollars(cents) -> str:
    """Return an amount in CENTS as dollars, e.g. 2500 → "$25.00"."""
    try:
        return f"${int(cents) / 100:,.2f}"
    except (TypeError, ValueError):
        return ""
