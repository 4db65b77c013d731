from django import template

from accounts.permissions import Permission

register = template.Library()


@register.filter
def permission_labels(permissions) -> list[str]:
    """Return the labels of PERMISSIONS in the order the rights are declared."""
    held = {Permission(p) for p in permissions or ()}
    return [p.label for p in Permission if p in held]
