"""Provisioning and the access-list schedule, end to end in real processes on PostgreSQL.

gunicorn and qcluster run the production settings against the throwaway database and talk to the
fake Heroku, itself a separate process. Heroku (played here) provisions a resource through the
Partner API on gunicorn; the cluster runs the first sync that provisioning enqueues; then the
app gains a collaborator on "Heroku", and the "sync_access" schedule, made due at once, brings it
into the access list.
"""

import json
import secrets
import uuid

from tests.addons.partner_api.partner_api import basic_auth, provision_body
from tests.production import manage
from tests.smoke.processes import running_gunicorn, running_qcluster, wait_until

# The first scheduler pass of a cluster comes about 30 s after it starts (django-q2 runs its
# scheduler every 30 s of its guard loop), so the schedule's sync needs up to that long.
SCHEDULE_TIMEOUT = 60.0
SYNC_TIMEOUT = 30.0

ADDON_SLUG = "acme-smoke"
CLIENT_SECRET = "smoke-client-secret"
OWNER, COLLABORATOR, NEWCOMER = "owner@example.com", "dev@example.com", "new@example.com"


def django_shell(script: str, env: dict[str, str]) -> str:
    """Run SCRIPT in `manage.py shell` in ENV and return what it printed; fail if it failed."""
    completed = manage("shell", "--no-imports", "-c", script, env=env)
    assert completed.returncode == 0, f"manage.py shell failed:\n{completed.stderr}"
    return completed.stdout


def create_addon(env: dict[str, str], *, password: str) -> None:
    """Create a company, its add-on ADDON_SLUG with PASSWORD and CLIENT_SECRET, and a plan."""
    django_shell(
        "from accounts.models import Company\n"
        "from addons.models import Addon, Plan\n"
        "company = Company.objects.create(name='Smoke Co', slug='smoke-co')\n"
        f"addon = Addon.objects.create(company=company, slug={ADDON_SLUG!r}, name='Acme Smoke',"
        f" api_password={password!r}, oauth_client_secret={CLIENT_SECRET!r})\n"
        "Plan.objects.create(addon=addon, slug='basic', name='Basic')\n",
        env,
    )


def access_list_emails(env: dict[str, str], resource_uuid: str) -> set[str] | None:
    """Return the emails `manage.py access_list UUID --json` shows, or None before it knows it."""
    completed = manage("access_list", resource_uuid, "--json", env=env)
    if completed.returncode != 0:
        return None
    return {person["email"] for person in json.loads(completed.stdout)["people"]}


def sync_triggers(env: dict[str, str]) -> list[str]:
    """Return the trigger of every SyncRun, oldest first."""
    out = django_shell(
        "from addons.models import SyncRun\n"
        "print(*SyncRun.objects.order_by('started_at').values_list('trigger', flat=True))\n",
        env,
    )
    return out.split()


def test_a_provisioned_resource_is_synced_then_kept_in_sync_by_the_schedule(
    smoke_env, fake_heroku_process, tmp_path
):
    fake = fake_heroku_process
    env = {
        **smoke_env,
        "HEROKU_API_URL": fake.url,
        "HEROKU_ID_URL": fake.url,
        # Every list is stale a second after its sync, so the schedule's next run re-syncs it
        # (the resource's webhook subscription, made after provisioning, would otherwise let it
        # wait SYNC_INTERVAL_WITH_WEBHOOK; its deliveries go nowhere here).
        "ACCESS_LIST_MAX_AGE": "1",
        "SYNC_INTERVAL_WITH_WEBHOOK": "1",
    }
    # The cluster starts first: its first scheduler pass comes ~30 s later, whatever we do.
    with running_qcluster(env, tmp_path) as cluster:
        password = secrets.token_urlsafe(24)
        create_addon(env, password=password)
        created = fake.json(
            "POST",
            "/_fake/resources",
            {"app_name": "smoke-app", "owner": OWNER, "collaborators": [COLLABORATOR]},
        )
        resource_uuid = created["uuid"]
        code = fake.json(
            "POST", "/_fake/grants", {"resource": resource_uuid, "client_secret": CLIENT_SECRET}
        )["code"]
        with running_gunicorn(env, tmp_path) as gunicorn:
            response = gunicorn.request(
                "POST",
                "/heroku/resources",
                json_body=provision_body(resource_uuid, plan=f"{ADDON_SLUG}:basic", code=code),
                headers={"Authorization": basic_auth(ADDON_SLUG, password)},
            )
        assert response.status == 200, response.body
        assert uuid.UUID(json.loads(response.body)["id"]) == uuid.UUID(resource_uuid)

        # The first sync, which provisioning enqueued, runs on the cluster.
        wait_until(
            lambda: access_list_emails(env, resource_uuid) == {OWNER, COLLABORATOR},
            timeout=SYNC_TIMEOUT,
            message=f"the first sync listing {OWNER} and {COLLABORATOR}",
            process=cluster,
        )
        assert sync_triggers(env) == ["provision"]

        # Heroku's truth changes; the schedule, due now, brings the list up to date.
        fake.json("POST", "/_fake/collaborators", {"resource": resource_uuid, "email": NEWCOMER})
        django_shell(
            "from django.utils import timezone\n"
            "from django_q.models import Schedule\n"
            "assert Schedule.objects.filter(name='sync_access')"
            ".update(next_run=timezone.now()) == 1\n",
            env,
        )
        wait_until(
            lambda: access_list_emails(env, resource_uuid) == {OWNER, COLLABORATOR, NEWCOMER},
            timeout=SCHEDULE_TIMEOUT,
            message=f"the scheduled sync adding {NEWCOMER}",
            process=cluster,
        )
        assert "schedule" in sync_triggers(env)
