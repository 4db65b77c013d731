"""A resource's config vars: what the manifest allows, and every change to the stored copy.

The names a resource may have are the manifest's `config_vars` (or, when it lists none, the one
the manifest export declares: `<PREFIX>_URL`), and each must start with the effective prefix
(`addons.manifests.validators`). Every change goes through `update_config`, which stores the new
config, bumps `config_version`, audits the names that changed, and leaves pushing it to Heroku
to `addons.lifecycle.reporting` (retried, in order, the whole stored config each time).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from accounts.models import AuditEvent, User
from addons.lifecycle.events import Outcome, Step, names, record_event
from addons.lifecycle.exceptions import ConfigRefused, WrongState
from addons.lifecycle.queue import enqueue_report
from addons.manifests.validators import validate_config_var_names, validate_config_vars_start_with
from addons.models import Addon, AddonResource
from portal.text import is_storable

# Heroku keeps a whole app's config under 32 KB; no one var of an add-on needs more than this.
MAX_VALUE_LENGTH = 8192


def allowed_config_vars(addon: Addon) -> frozenset[str]:
    """Return the config var names ADDON's manifest lets its resources set."""
    return frozenset(addon.config_vars or [f"{addon.effective_config_vars_prefix}_URL"])


def check_config(addon: Addon, config: Mapping) -> dict[str, str]:
    """Return CONFIG as a dict of strings, or raise ConfigRefused naming what is refused."""
    if not isinstance(config, Mapping):
        raise ConfigRefused("Config must be an object of names and string values.")
    names_given = list(config)
    try:
        validate_config_var_names(names_given)
        validate_config_vars_start_with(names_given, addon.effective_config_vars_prefix)
    except ValidationError as refusal:
        raise ConfigRefused(" ".join(refusal.messages)) from None
    outside = sorted(set(names_given) - allowed_config_vars(addon))
    if outside:
        raise ConfigRefused(
            f"Not among the manifest's config vars of {addon.slug}: {', '.join(outside)}."
        )
    for name, value in config.items():
        if not isinstance(value, str):
            raise ConfigRefused(f"The value of {name} must be a string.")
        if len(value) > MAX_VALUE_LENGTH or not is_storable(value):
            raise ConfigRefused(
                f"The value of {name} must be text of at most {MAX_VALUE_LENGTH} characters."
            )
    return dict(config)


@transaction.atomic
def update_config(
    *,
    resource: AddonResource,
    config: Mapping,
    source: str,
    actor: User | None = None,
    rotation_id: str = "",
) -> AddonResource:
    """Set CONFIG's vars on RESOURCE and queue them for Heroku; audit the names that changed.

    SOURCE says who asked ("service", "rotation", …). Vars not named keep their values.
    """
    changes = check_config(resource.addon, config)
    locked = (
        AddonResource.objects.select_for_update()
        .select_related("addon__company")
        .get(pk=resource.pk)
    )
    if locked.state not in (AddonResource.State.PROVISIONED, AddonResource.State.PROVISIONING):
        raise WrongState(
            f"This resource is {locked.get_state_display().lower()}: its config cannot change."
        )
    changed = {name for name, value in changes.items() if locked.config.get(name) != value}
    if not changed:
        return locked
    locked.config = {**locked.config, **changes}
    locked.config_version = F("config_version") + 1
    locked.save(update_fields=["config", "config_version", "updated_at"])
    locked.refresh_from_db(fields=["config_version"])
    details = {"resource": str(locked.uuid), "names": sorted(changed), "source": source}
    if rotation_id:
        details["rotation"] = rotation_id
    AuditEvent.objects.create(
        company=locked.addon.company,
        actor=actor,
        action=AuditEvent.Action.CONFIG_UPDATED,
        target=locked.addon.slug,
        details=details,
    )
    record_event(locked, Step.CONFIG_UPDATE, Outcome.QUEUED, f"{source}: {names(changed)}")
    if locked.state == AddonResource.State.PROVISIONED:
        transaction.on_commit(partial(enqueue_report, locked.pk))
    return locked
