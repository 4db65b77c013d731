"""What the fake Heroku knows: resources, apps, collaborators, teams, tokens, and faults."""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

ISO = "2026-01-01T12:00:00Z"
MAX_PAGE = 1000
DEFAULT_PAGE = 200
TOKEN_TTL = 28800


def new_id() -> str:
    return str(uuidlib.uuid4())


def json_copy(data: dict) -> dict:
    """Return a deep copy of DATA (JSON values only), so that later changes do not reach it."""
    return json.loads(json.dumps(data))


@dataclass
class Fault:
    """A fault to inject into matching requests.

    kind: an HTTP status as a string ("500", "502", "503", "404", "429", "401", …), "reset"
    (close the connection without answering), "timeout" (answer after `delay` seconds),
    "malformed" (200 with a body that is not JSON), "partial-no-next-range" (206 without a
    Next-Range header), or a list whose pages do not add up: "pages-skip" (Next-Range starts
    after an item the page did not hold), "pages-overlap" (the next page repeats this page's last
    item), "content-range-mismatch" (Content-Range names another first item than the page's).
    `match` is a substring of the request path (or "" for every request); `times` is how many
    requests it hits (None: until cleared); `retry_after`, when set, is sent as the Retry-After
    header of an HTTP status fault.
    """

    kind: str
    match: str = ""
    times: int | None = None
    delay: float = 30.0
    retry_after: str | None = None
    hits: int = 0

    def applies(self, path: str) -> bool:
        return self.match in path and (self.times is None or self.hits < self.times)


@dataclass
class World:
    """What the fake Heroku knows: add-on resources, apps, collaborators, teams and tokens."""

    addons: dict[str, dict] = field(default_factory=dict)  # resource uuid -> add-on JSON
    apps: dict[str, dict] = field(default_factory=dict)  # app id -> app JSON
    collaborators: dict[str, list[dict]] = field(default_factory=dict)  # app id -> list
    team_members: dict[str, list[dict]] = field(default_factory=dict)  # team id -> list
    tokens: dict[str, dict] = field(default_factory=dict)  # access token -> {resource, expires}
    refresh_tokens: dict[str, dict] = field(default_factory=dict)  # refresh token -> {resource}
    grants: dict[str, dict] = field(default_factory=dict)  # code -> {resource, client_secret}
    users: dict[str, str] = field(default_factory=dict)  # lower-case email -> user id
    config: dict[str, dict[str, str]] = field(default_factory=dict)  # resource uuid -> its config
    # Logging people in with their Heroku account (id.heroku.com's authorize page, GET /account).
    heroku_accounts: dict[str, dict] = field(default_factory=dict)  # lower-case email -> account
    oauth_clients: dict[str, dict] = field(default_factory=dict)  # client id -> {secret, redirect}
    login_codes: dict[str, dict] = field(default_factory=dict)  # code -> {client_id, email}
    account_tokens: dict[str, dict] = field(default_factory=dict)  # token -> {email, expires}
    # The account whose browser is signed in at Heroku and has allowed every client: its
    # authorize page redirects at once. None: the page asks who logs in (an e-mail field).
    signed_in: str | None = None
    # Add-on webhook subscriptions: webhook id -> {id, addon, include, level, url, authorization,
    # secret, created_at, updated_at} (the last two secrets are never served back).
    webhooks: dict[str, dict] = field(default_factory=dict)
    # Called with each event (see `emit`) when a collaborator, an app or an add-on changes: the
    # server's dispatcher turns them into signed deliveries.
    listeners: list[Callable[[dict], None]] = field(default_factory=list)

    def __getstate__(self) -> dict:
        # A copy (or a pickle) of the world is the world's data: the listeners belong to the
        # server that holds this world, never to a copy.
        return {**self.__dict__, "listeners": []}

    # Building the world --------------------------------------------------------------------
    def user_id(self, email: str) -> str:
        return self.users.setdefault(email.lower(), new_id())

    def add_resource(
        self,
        resource_uuid: str | None = None,
        *,
        app_name: str | None = None,
        owner: str = "owner@example.com",
        collaborators: list[str] | tuple[str, ...] = (),
        team: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        token: str | None = None,
        plan: str = "acme-search:basic",
        state: str = "provisioned",
    ) -> tuple[str, str]:
        """Add an add-on resource on a new app; return (resource uuid, access token).

        A personal app (team=None) lists its owner among its collaborators, as Heroku does. A team
        app lists the given collaborators; its team has the given members (a team of that name
        that the world knows already keeps its members: MEMBERS is then ignored). STATE is the
        add-on's (`provisioning` for one whose provisioning answered 202).
        """
        resource_uuid = str(resource_uuid or new_id())
        app_id = new_id()
        app_name = app_name or f"app-{app_id[:8]}"
        team_json = None
        shared = self.team_named(team) if team is not None else None
        if shared is not None:  # another app of a team the world knows: its members stay
            team_json = dict(shared)
        elif team is not None:
            team_id = new_id()
            team_json = {"id": team_id, "name": team}
            self.team_members[team_id] = [self.member_json(email) for email in members]
        self.apps[app_id] = {
            "id": app_id,
            "name": app_name,
            "owner": {"email": owner, "id": self.user_id(owner)},
            "team": team_json,
            "organization": team_json,
            "region": {"id": new_id(), "name": "us"},
            "created_at": ISO,
            "updated_at": ISO,
            "web_url": f"https://{app_name}.herokuapp.com/",
        }
        people = list(collaborators)
        if team is None and owner.lower() not in {p.lower() for p in people}:
            people.insert(0, owner)
        self.collaborators[app_id] = [
            self.collaborator_json(app_id, email, role="owner" if email == owner else None)
            for email in people
        ]
        self.addons[resource_uuid] = {
            "actions": [],
            "addon_service": {"id": new_id(), "name": plan.split(":")[0]},
            "billing_entity": {"id": app_id, "name": app_name, "type": "app"},
            "app": {"id": app_id, "name": app_name},
            "billed_price": {"cents": 0, "contract": False, "unit": "month"},
            "config_vars": [],
            "created_at": ISO,
            "id": resource_uuid,
            "name": f"acme-search-{resource_uuid[:8]}",
            "plan": {"id": new_id(), "name": plan},
            "provider_id": resource_uuid,
            "state": state,
            "updated_at": ISO,
            "web_url": None,
        }
        self.config[resource_uuid] = {}
        token = token or f"token-{resource_uuid}"
        self.tokens[token] = {"resource": resource_uuid, "expires": time.time() + TOKEN_TTL}
        return resource_uuid, token

    def collaborator_json(self, app_id: str, email: str, role: str | None = None) -> dict:
        app = self.apps[app_id]
        return {
            "id": new_id(),
            "app": {"id": app_id, "name": app["name"]},
            "created_at": ISO,
            "updated_at": ISO,
            "permissions": [{"name": "view", "description": "Can view the app."}],
            "role": role or ("member" if app.get("team") else "collaborator"),
            "user": {"email": email, "federated": False, "id": self.user_id(email)},
        }

    def member_json(self, email: str, role: str = "member") -> dict:
        user_id = self.user_id(email)
        return {
            "id": new_id(),
            "created_at": ISO,
            "updated_at": ISO,
            "email": email,
            "federated": False,
            "role": role,
            "two_factor_authentication": True,
            "user": {"email": email, "id": user_id, "name": email.split("@")[0]},
        }

    def team_named(self, name: str) -> dict | None:
        """Return the team called NAME that an app of the world belongs to, if any."""
        for app in self.apps.values():
            if app.get("team") and app["team"]["name"] == name:
                return app["team"]
        return None

    def app_of(self, resource_uuid: str) -> dict:
        return self.apps[self.addons[resource_uuid]["app"]["id"]]

    def add_collaborator(self, resource_uuid: str, email: str) -> None:
        app = self.app_of(resource_uuid)
        collaborator = self.collaborator_json(app["id"], email)
        self.collaborators[app["id"]].append(collaborator)
        self.emit(app["id"], "collaborator", "create", collaborator)

    def remove_collaborator(self, resource_uuid: str, email: str) -> None:
        app = self.app_of(resource_uuid)
        kept, gone = [], []
        for c in self.collaborators[app["id"]]:
            (gone if c["user"]["email"].lower() == email.lower() else kept).append(c)
        self.collaborators[app["id"]] = kept
        for collaborator in gone:
            self.emit(app["id"], "collaborator", "destroy", collaborator)

    def rename_app(self, resource_uuid: str, name: str) -> None:
        """Rename RESOURCE's app (an `api:app` update)."""
        app = self.app_of(resource_uuid)
        previous = {"name": app["name"]}
        app["name"] = name
        for addon in self.addons_on(app["id"]):
            addon["app"]["name"] = name
        self.emit(app["id"], "app", "update", app, previous)

    def destroy_app(self, resource_uuid: str) -> None:
        """Destroy RESOURCE's app and the add-ons on it (`api:app` and `api:addon` destroys)."""
        app = self.app_of(resource_uuid)
        for addon in self.addons_on(app["id"]):
            self.emit(app["id"], "addon", "destroy", addon)
        self.emit(app["id"], "app", "destroy", app)
        for addon in self.addons_on(app["id"]):
            self.addons.pop(addon["id"], None)

    def add_member(self, resource_uuid: str, email: str) -> None:
        team = self.app_of(resource_uuid)["team"]
        self.team_members[team["id"]].append(self.member_json(email))

    def remove_member(self, resource_uuid: str, email: str) -> None:
        team = self.app_of(resource_uuid)["team"]
        self.team_members[team["id"]] = [
            m for m in self.team_members[team["id"]] if m["email"].lower() != email.lower()
        ]

    def remove_addon(self, resource_uuid: str) -> None:
        addon = self.addons.get(resource_uuid)
        if addon is not None:
            self.emit(addon["app"]["id"], "addon", "destroy", addon)
        self.addons.pop(resource_uuid, None)

    def addons_on(self, app_id: str) -> list[dict]:
        return [addon for addon in self.addons.values() if addon["app"]["id"] == app_id]

    # Webhooks ------------------------------------------------------------------------------
    def emit(
        self, app_id: str, resource: str, action: str, data: dict, previous: dict | None = None
    ) -> None:
        """Tell the listeners that RESOURCE ("collaborator", "app", "addon") of APP_ID changed."""
        event = {
            "id": new_id(),
            "app_id": app_id,
            "resource": resource,
            "action": action,
            "data": json_copy(data),
            "previous_data": previous or {},
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        for listener in list(self.listeners):
            listener(event)

    def add_webhook(self, resource_uuid: str, body: dict) -> dict:
        """Store a webhook subscription of RESOURCE from a create BODY; return it (secret too)."""
        addon = self.addons[resource_uuid]
        webhook_id = new_id()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.webhooks[webhook_id] = {
            "id": webhook_id,
            "addon": {"id": resource_uuid, "name": addon["name"]},
            "include": list(body["include"]),
            "level": body["level"],
            "url": body["url"],
            "authorization": body.get("authorization"),
            "secret": body.get("secret") or secrets.token_hex(32),
            "created_at": now,
            "updated_at": now,
        }
        return self.webhooks[webhook_id]

    def webhooks_of(self, resource_uuid: str) -> list[dict]:
        return [w for w in self.webhooks.values() if w["addon"]["id"] == resource_uuid]

    def update_config(self, resource_uuid: str, items: list[dict]) -> list[dict]:
        """Apply a PATCH of RESOURCE's config (a null value removes the var); return the config."""
        config = self.config.setdefault(resource_uuid, {})
        for item in items:
            if item["value"] is None:
                config.pop(item["name"], None)
            else:
                config[item["name"]] = item["value"]
        self.addons[resource_uuid]["config_vars"] = sorted(config)
        return self.config_json(resource_uuid)

    def config_json(self, resource_uuid: str) -> list[dict]:
        """Return RESOURCE's config as the Platform API lists it (add-on-config objects)."""
        config = self.config.get(resource_uuid, {})
        return [{"name": name, "value": config[name]} for name in sorted(config)]

    def expected_emails(self, resource_uuid: str) -> set[str]:
        """Return the lower-cased emails that may use RESOURCE: the truth a sync must reach."""
        app = self.app_of(resource_uuid)
        emails = {c["user"]["email"].lower() for c in self.collaborators[app["id"]]}
        if app.get("team"):
            emails |= {m["email"].lower() for m in self.team_members[app["team"]["id"]]}
        return emails

    def create_grant(self, resource_uuid: str, client_secret: str) -> str:
        """Return a new single-use authorization code for RESOURCE (as sent at provisioning)."""
        code = secrets.token_hex(16)
        self.grants[code] = {"resource": str(resource_uuid), "client_secret": client_secret}
        return code

    # Logging in with Heroku ----------------------------------------------------------------
    def add_heroku_account(
        self, email: str, *, verified: bool = True, name: str | None = None
    ) -> dict:
        """Add (or replace) the Heroku account EMAIL, shaped as `GET /account` answers it."""
        account = {
            "allow_tracking": True,
            "beta": False,
            "created_at": ISO,
            "country_of_residence": None,
            "default_organization": None,
            "default_team": None,
            "delinquent_at": None,
            "email": email,
            "federated": False,
            "id": self.user_id(email),
            "identity_provider": None,
            "last_login": ISO,
            "name": name if name is not None else email.split("@")[0].title(),
            "sms_number": None,
            "suspended_at": None,
            "two_factor_authentication": False,
            "updated_at": ISO,
            "verified": verified,
        }
        self.heroku_accounts[email.lower()] = account
        return account

    def add_oauth_client(self, client_id: str, secret: str, redirect_uri: str = "") -> None:
        """Register a web app's OAuth client (`heroku clients:create`), with its callback URL."""
        self.oauth_clients[client_id] = {"secret": secret, "redirect_uri": redirect_uri}

    def create_login_code(self, client_id: str, email: str) -> str:
        """Return a new single-use code that logs the Heroku account EMAIL in to CLIENT_ID."""
        code = secrets.token_hex(16)
        self.login_codes[code] = {"client_id": client_id, "email": email.lower()}
        return code

    def expire_token(self, token: str) -> None:
        self.tokens[token]["expires"] = 0

    @classmethod
    def generate(cls, n: int, *, seed: int = 1, big: int = 2100) -> World:
        """Return a world of N resources: 60% team apps with 5 to 40 collaborators and 1 to 200
        team members; resource 0 is a team app with a list of BIG people."""
        rng = random.Random(seed)
        world = cls()
        for i in range(n):
            resource_uuid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
            if i == 0 and big:
                people = [f"user{i}-{j}@example.com" for j in range(big)]
                world.add_resource(
                    resource_uuid,
                    team=f"team-{i}",
                    collaborators=people[:40],
                    members=people[40:],
                )
            elif rng.random() < 0.6:
                collaborators = [f"c{i}-{j}@example.com" for j in range(rng.randint(5, 40))]
                # A team has at least one member, its admin (a list without one is refused).
                members = [f"m{i}-{j}@example.com" for j in range(rng.randint(0, 200))] or [
                    f"admin{i}@example.com"
                ]
                world.add_resource(
                    resource_uuid, team=f"team-{i}", collaborators=collaborators, members=members
                )
            else:
                collaborators = [f"c{i}-{j}@example.com" for j in range(rng.randint(0, 10))]
                world.add_resource(
                    resource_uuid, owner=f"owner{i}@example.com", collaborators=collaborators
                )
        return world
