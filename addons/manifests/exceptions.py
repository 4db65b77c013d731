"""Errors of the add-on and plan services."""

from addons.exceptions import AddonsError


class ManifestsError(AddonsError):
    """A rule about an add-on's settings or plans was broken."""


class AddonInUseError(ManifestsError):
    """An add-on that has resources is kept: they are the history of its installations."""

    def __init__(self, addon, resources: int):
        super().__init__(
            f"The add-on {addon.slug} cannot be deleted: it has {_resources(resources)}, "
            "kept as the history of its installations."
        )


class PlanInUseError(ManifestsError):
    """A plan that resources use (de-provisioned ones included) is kept with them."""

    def __init__(self, plan, resources: int):
        super().__init__(
            f"The plan {plan.slug} of {plan.addon.slug} cannot be deleted: "
            f"{_resources(resources)} {'uses' if resources == 1 else 'use'} it "
            "(de-provisioned ones are kept as history)."
        )


def _resources(count: int) -> str:
    return "1 resource" if count == 1 else f"{count} resources"
