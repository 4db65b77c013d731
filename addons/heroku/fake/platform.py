"""The fake's Platform API routes: add-ons, their config and actions, apps, collaborators, teams."""

from __future__ import annotations

import hashlib
import json
import re

from addons.heroku.fake.world import DEFAULT_PAGE, MAX_PAGE

# Faults of a list's paging (see `Fault`): the page is served, but its headers do not add up.
PAGING_FAULTS = frozenset({"pages-skip", "pages-overlap", "content-range-mismatch"})


class PlatformRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    # (pattern, handler): the first pattern that matches the whole path serves it.
    ROUTES = (
        (re.compile(r"/addons/([^/]+)"), "_addon"),
        (re.compile(r"/addons/([^/]+)/config"), "_addon_config"),
        (re.compile(r"/addons/([^/]+)/actions/(provision|deprovision)"), "_addon_action"),
        (re.compile(r"/apps/([^/]+)"), "_app"),
        (re.compile(r"/apps/([^/]+)/collaborators"), "_collaborators"),
        (re.compile(r"/teams/([^/]+)/members"), "_team_members"),
        (re.compile(r"/addons/([^/]+)/webhooks"), "_webhooks"),
        (re.compile(r"/addons/([^/]+)/webhooks/([^/]+)"), "_webhook"),
        (re.compile(r"/addons/([^/]+)/webhook-deliveries"), "_webhook_deliveries"),
    )

    def _platform(self, method: str, path: str, resource: str, body: bytes):
        world = self.fake.world
        addon = world.addons.get(resource)
        for pattern, handler in self.ROUTES:
            if match := pattern.fullmatch(path):
                if addon is None:
                    return self._error(404, "not_found", "Couldn't find that add-on.")
                app = world.apps[addon["app"]["id"]]
                return getattr(self, handler)(match, method, resource, addon, app, body)
        return self._error(404, "not_found", f"No route for {method} {path}.")

    def _forbidden(self, what: str):
        return self._error(403, "forbidden", f"You do not have access to the {what}.")

    def _addon(self, match, method, resource, addon, app, body):
        if match[1] != resource:
            return self._forbidden("add-on")
        return self._ok(addon)

    def _addon_config(self, match, method, resource, addon, app, body):
        """GET lists the add-on's config; PATCH sets the vars it names (schema `add-on-config`)."""
        if match[1] != resource:
            return self._forbidden("add-on")
        world = self.fake.world
        if method == "GET":
            return self._send(200, world.config_json(resource))
        if method != "PATCH":
            return self._error(405, "method_not_allowed", "Use GET or PATCH.")
        items = _config_items(body)
        if items is None:
            return self._error(
                422, "invalid_params", 'Expected {"config": [{"name": …, "value": …}, …]}.'
            )
        self.fake.record_write(method, self.path, resource, {"config": items})
        return self._send(200, world.update_config(resource, items))

    def _addon_action(self, match, method, resource, addon, app, body):
        """POST /actions/provision or /deprovision: the add-on's new state (schema `add-on`)."""
        if match[1] != resource:
            return self._forbidden("add-on")
        if method != "POST":
            return self._error(405, "method_not_allowed", "Use POST.")
        self.fake.record_write(method, self.path, resource, None)
        addon["state"] = "provisioned" if match[2] == "provision" else "deprovisioned"
        return self._send(200, addon)

    def _app(self, match, method, resource, addon, app, body):
        if match[1] not in (app["id"], app["name"]):
            return self._forbidden("app")
        return self._ok(app)

    def _collaborators(self, match, method, resource, addon, app, body):
        if match[1] not in (app["id"], app["name"]):
            return self._forbidden("app")
        return self._list(self.fake.world.collaborators[app["id"]], default_field="id")

    def _team_members(self, match, method, resource, addon, app, body):
        team = app.get("team")
        if not team or match[1] not in (team["id"], team["name"]):
            return self._forbidden("team")
        return self._list(self.fake.world.team_members[team["id"]], default_field="email")

    def _ok(self, payload, status=200, headers=None):
        # Serialize once: the ETag is the digest of the very bytes sent.
        body = json.dumps(payload).encode()
        etag = f'"{hashlib.sha1(body).hexdigest()}"'
        if status in (200, 206) and self.headers.get("If-None-Match") == etag:
            return self._send(304, None, {"ETag": etag})
        return self._send(status, body, {"ETag": etag, **(headers or {})})

    def _list(self, items: list[dict], default_field: str):
        range_header = self.headers.get("Range", f"{default_field} ..")
        m = re.fullmatch(
            r"\s*(\w+)\s+(\]?)(.*?)\.\.([^;]*)(?:;\s*max=(\d+))?\s*(?:;.*)?", range_header
        )
        if not m:
            return self._error(400, "bad_request", f"Malformed Range header {range_header!r}")
        range_field, exclusive, start, _, max_ = m.groups()
        size = min(int(max_ or DEFAULT_PAGE), MAX_PAGE)

        def key(item):
            return str(item.get(range_field) or item.get("user", {}).get(range_field) or "")

        ordered = sorted(items, key=key)
        if start:
            ordered = [i for i in ordered if (key(i) > start if exclusive else key(i) >= start)]
        page = ordered[:size]
        headers = {}
        first, last = (key(page[0]), key(page[-1])) if page else ("", "")
        if self.paging_fault == "content-range-mismatch":
            first = key(ordered[1]) if len(ordered) > 1 else first + "x"
        if page:
            headers["Content-Range"] = f"{range_field} {first}..{last}; max={size}"
        if len(ordered) > size:
            if self.paging_fault == "pages-skip":  # the next page starts an item too late
                last = key(ordered[size])
            elif self.paging_fault == "pages-overlap":  # ... or repeats this page's last item
                last = key(page[-2]) if len(page) > 1 else ""
            headers["Next-Range"] = f"{range_field} ]{last}..; max={size}"
            return self._ok(page, status=206, headers=headers)  # pages carry ETags too
        return self._ok(page, headers=headers)


def _config_items(body: bytes) -> list[dict] | None:
    """Return the config items of a PATCH body, or None when it is not what the schema asks."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    items = data.get("config") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    for item in items:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and (item.get("value") is None or isinstance(item["value"], str))
        ):
            return None
    return [{"name": item["name"], "value": item.get("value")} for item in items]
