"""Forms of the lifecycle pages. They validate; `addons.lifecycle.services` writes."""

from django import forms

from addons.manifests.validators import validate_url_if_given


class ServiceURLForm(forms.Form):
    """Where the portal sends the add-on's lifecycle events (empty: no service of its own)."""

    url = forms.URLField(
        label="Service URL",
        max_length=500,
        required=False,
        validators=[validate_url_if_given],
        assume_scheme="https",
        help_text="The https address of your service's lifecycle endpoint, e.g. "
        "https://search.acme.example/heroku/events. Empty: the portal provisions with "
        "ADDON_PROVISIONER or its built-in default.",
    )
