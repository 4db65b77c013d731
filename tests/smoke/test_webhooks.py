"""Add-on webhooks end to end in real processes on PostgreSQL: the fake Heroku (its own process,
delivering from a thread) sends signed deliveries to the receiver on gunicorn, and the cluster does
their work. Provisioning subscribes the resource; a collaborator removed on "Heroku" loses access
within seconds; a forged delivery and a replayed one are refused and change nothing; a new
collaborator arrives through the re-fetch the delivery queues (never from the event's body).
"""

import secrets

from tests.addons.partner_api.partner_api import basic_auth, provision_body
from tests.smoke.processes import free_port, running_gunicorn, running_qcluster, wait_until
from tests.smoke.test_access_sync import (
    ADDON_SLUG,
    CLIENT_SECRET,
    access_list_emails,
    create_addon,
    sync_triggers,
)

TIMEOUT = 30.0
OWNER, ANN, BOB = "owner@example.com", "ann@example.com", "bob@example.com"


def test_webhook_deliveries_keep_the_list_true_and_hostile_ones_change_nothing(
    smoke_env, fake_heroku_process, tmp_path
):
    fake = fake_heroku_process
    port = free_port()
    env = {
        **smoke_env,
        "HEROKU_API_URL": fake.url,
        "HEROKU_ID_URL": fake.url,
        "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with (
        running_qcluster(env, tmp_path) as cluster,
        running_gunicorn(env, tmp_path, port=port) as web,
    ):
        password = secrets.token_urlsafe(24)
        create_addon(env, password=password)
        created = fake.json(
            "POST",
            "/_fake/resources",
            {"app_name": "hooked", "owner": OWNER, "collaborators": [ANN]},
        )
        uuid = created["uuid"]
        code = fake.json(
            "POST", "/_fake/grants", {"resource": uuid, "client_secret": CLIENT_SECRET}
        )["code"]
        response = web.request(
            "POST",
            "/heroku/resources",
            json_body=provision_body(uuid, plan=f"{ADDON_SLUG}:basic", code=code),
            headers={"Authorization": basic_auth(ADDON_SLUG, password)},
        )
        assert response.status == 200, response.body

        # The cluster runs the first sync and subscribes the resource's webhook.
        wait_until(
            lambda: access_list_emails(env, uuid) == {OWNER, ANN},
            timeout=TIMEOUT,
            message="the first sync",
            process=cluster,
        )
        [webhook] = wait_until(
            lambda: fake.json("GET", "/_fake/webhooks"),
            timeout=TIMEOUT,
            message="the webhook subscription",
            process=cluster,
        )
        assert webhook["url"].startswith(f"http://127.0.0.1:{port}/heroku/webhooks/")
        assert webhook["level"] == "sync" and webhook["has_authorization"]

        # Ann leaves the app on Heroku: the delivery removes her at once.
        fake.json("DELETE", "/_fake/collaborators", {"resource": uuid, "email": ANN})
        wait_until(
            lambda: access_list_emails(env, uuid) == {OWNER},
            timeout=TIMEOUT,
            message="the delivery removing ann",
            process=cluster,
        )
        [delivered] = fake.json("GET", "/_fake/webhook-deliveries")
        assert delivered["status"] == "success" and delivered["answers"] == [204]

        # A forged delivery (a wrong secret) and a replay of the one above change nothing.
        forged = fake.json(
            "POST", "/_fake/webhook-hooks", {"action": "forge", "resource": uuid, "email": OWNER}
        )
        assert forged["answer"] == 401
        replayed = fake.json(
            "POST", "/_fake/webhook-hooks", {"action": "replay", "delivery": delivered["id"]}
        )
        assert replayed["answer"] == 409
        assert access_list_emails(env, uuid) == {OWNER}

        # Bob joins: the delivery queues a re-fetch, which reads him from Heroku.
        fake.json("POST", "/_fake/collaborators", {"resource": uuid, "email": BOB})
        wait_until(
            lambda: access_list_emails(env, uuid) == {OWNER, BOB},
            timeout=TIMEOUT,
            message="the re-fetch adding bob",
            process=cluster,
        )
        assert "webhook" in sync_triggers(env)
