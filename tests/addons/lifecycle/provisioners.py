"""A provisioner class as a partner running the portal inside their own project would write one,
named in ADDON_PROVISIONER by the `recording_provisioner` fixture."""

from addons.lifecycle.exceptions import ProvisionerRefusal
from addons.lifecycle.provisioners import Done, Pending, Provisioner


class RecordingProvisioner(Provisioner):
    """Records each call; answers as the class attributes say (a test sets them)."""

    calls: list[tuple] = []
    pending = False
    refuse_plan = ""
    explode = False

    @classmethod
    def reset(cls) -> None:
        cls.calls = []
        cls.pending = False
        cls.refuse_plan = ""
        cls.explode = False

    def provision(self, *, resource, plan, region, options):
        type(self).calls.append(("provision", str(resource.uuid), plan.slug, region, options))
        if self.explode:
            raise RuntimeError("the partner's own bug")
        if self.pending:
            return Pending(message="Setting up.")
        return Done(config={"ACME_SEARCH_URL": f"https://mine.example/{resource.uuid}"})

    def change_plan(self, *, resource, plan):
        type(self).calls.append(("change_plan", str(resource.uuid), plan.slug))
        if plan.slug == self.refuse_plan:
            raise ProvisionerRefusal(f"{plan.name} is sold out.")
        return Done(config={"ACME_SEARCH_URL": f"https://mine.example/{resource.uuid}/{plan.slug}"})

    def deprovision(self, *, resource):
        type(self).calls.append(("deprovision", str(resource.uuid)))
        return Pending() if self.pending else Done()

    def rotate_credentials(self, *, resource, rotation):
        type(self).calls.append(("rotate", str(resource.uuid), str(rotation.public_id)))
        return Done(config={"ACME_SEARCH_URL": f"https://mine.example/{resource.uuid}?r=2"})

    def retire_credentials(self, *, resource, rotation):
        type(self).calls.append(("retire", str(resource.uuid), str(rotation.public_id)))
