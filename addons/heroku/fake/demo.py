"""The demo's Heroku: the world `python manage.py fake_heroku --demo` serves for `make run`.

Three apps have installed the demo add-on, "Acme Search" (`acme-search`): two personal apps of one
customer and a team app. Every Heroku user id is derived from the address, so a restarted fake
names the same people by the same ids, and the portal's stored access lists stay true. The demo
people of the portal and the customers also have Heroku accounts, for "Log in with Heroku".

`load_demo_data` reads this world through the control API (`GET /_fake/world`, `/_fake/addon`),
asks for a grant per resource (`/_fake/grants`) and provisions each resource through the portal's
Partner API services, as Heroku would; nothing here is shared with the portal by import.
"""

from __future__ import annotations

import uuid as uuidlib

from addons.heroku.fake.world import World

# The namespace of the demo's Heroku user ids (uuid5 of the lower-cased address).
USER_ID_NAMESPACE = uuidlib.UUID("6f1c7d52-3a8e-4b59-9e0e-5d2b8c4a7f10")

# The demo add-on's resources: their uuids, apps and people are part of the demo's promise
# (README, "Demo logins"), so tests and the link-walking browser test may rely on them.
DEMO_RESOURCES = (
    {
        "resource_uuid": "5b3f0c2a-8d14-4e7b-a6c9-1e2f3a4b5c01",
        "app_name": "brightside-shop",
        "owner": "casey@brightside.test",
        "collaborators": ["casey@brightside.test", "robin@brightside.test"],
        "plan": "acme-search:basic",
    },
    {
        "resource_uuid": "9c7e1d4b-2a36-4f58-b7d0-2f3a4b5c6d02",
        "app_name": "brightside-staging",
        "owner": "casey@brightside.test",
        "collaborators": ["casey@brightside.test"],
        "plan": "acme-search:test",
    },
    {
        "resource_uuid": "e2a94f6c-7b15-4d83-8c2e-3a4b5c6d7e03",
        "app_name": "northwind-api",
        "owner": "alex@northwind.test",
        "team": "northwind",
        "collaborators": ["jordan@northwind.test"],
        "members": ["alex@northwind.test", "morgan@northwind.test"],
        "plan": "acme-search:basic",
    },
)

# Heroku accounts that may "Log in with Heroku": the portal's demo people and the customers.
DEMO_ACCOUNTS = {
    "owner@acme.test": "Olive Owner",
    "support@acme.test": "Sam Support",
    "dev@acme.test": "Dana Developer",
    "casey@brightside.test": "Casey Customer",
    "robin@brightside.test": "Robin Collaborator",
    "alex@northwind.test": "Alex Admin",
    "jordan@northwind.test": "Jordan Collaborator",
    "morgan@northwind.test": "Morgan Member",
}


def demo_user_id(email: str) -> str:
    """Return the Heroku user id of the demo person EMAIL (the same in every run)."""
    return str(uuidlib.uuid5(USER_ID_NAMESPACE, email.lower()))


def demo_world(*, oauth_client_id: str = "", oauth_client_secret: str = "") -> World:
    """Return the demo's Heroku, with the portal's OAuth client when both halves are given.

    The client is registered without a callback URL, so the portal's callback on whatever port
    `make run` serves is accepted.
    """
    world = World()
    for email in {*DEMO_ACCOUNTS, *_people()}:
        world.users[email.lower()] = demo_user_id(email)
    for resource in DEMO_RESOURCES:
        world.add_resource(**resource)
    for email, name in DEMO_ACCOUNTS.items():
        world.add_heroku_account(email, name=name)
    if oauth_client_id and oauth_client_secret:
        world.add_oauth_client(oauth_client_id, oauth_client_secret)
    return world


def _people() -> set[str]:
    return {
        email
        for resource in DEMO_RESOURCES
        for key in ("collaborators", "members")
        for email in [*resource.get(key, ()), resource["owner"]]
    }
