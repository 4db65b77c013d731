"""`{% demo_sign_in_link %}`: the link to "Sign in as a Heroku customer", only while DEBUG is on."""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("addons/demo/_sign_in_link.html")
def demo_sign_in_link():
    """Render the link to the demo's customer sign-in page in development; nothing otherwise."""
    return {"debug": settings.DEBUG}
