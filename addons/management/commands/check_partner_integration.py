"""Play Heroku against a deployed portal and print a pass/fail table (addons.conformance)."""

import json
import os
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from addons.conformance.checks import Target, run_conformance, running_fake
from addons.conformance.report import render_table, summary

DEFAULT_FAKE_PORT = 5055

# Options that may come from the environment instead, so that secrets stay off the command line.
ENVIRONMENT = {
    "addon": "PARTNER_ADDON_ID",
    "password": "PARTNER_API_PASSWORD",
    "sso_salt": "PARTNER_SSO_SALT",
    "oauth_client_secret": "PARTNER_OAUTH_CLIENT_SECRET",
}


def fake_settings(port: int) -> str:
    """Return the settings that point a portal at the fake Heroku on PORT."""
    url = f"http://127.0.0.1:{port}"
    return f"HEROKU_API_URL={url}\nHEROKU_ID_URL={url}"


class Command(BaseCommand):
    help = (
        "Play Heroku against the portal at URL: provision with an OAuth grant, the grant's "
        "exchange, an async completion (when the portal answers 202), a plan change, SSO with a "
        "user-scoped token, a bad SSO token, bad Partner API credentials (401) and de-provision; "
        "then print a pass/fail table and exit 1 on any failure. Heroku's side is a fake served "
        f"on 127.0.0.1:--fake-port ({DEFAULT_FAKE_PORT}); the portal under test must call it: "
        f"start it with {fake_settings(DEFAULT_FAKE_PORT).replace(chr(10), ' and ')} "
        "(--print-settings prints them for another port). The add-on id, API password and SSO "
        "salt come from --manifest (the file of heroku addons:admin:manifest:pull or the portal's "
        "export), the options, or the environment: "
        + ", ".join(f"{name}" for name in ENVIRONMENT.values())
        + "."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "url", nargs="?", help="The portal's address, e.g. https://portal.example.com"
        )
        parser.add_argument(
            "--manifest", help="A v3 manifest file: its id, api.password, api.sso_salt."
        )
        parser.add_argument(
            "--addon", help=f"The add-on id (manifest id); or {ENVIRONMENT['addon']}."
        )
        parser.add_argument(
            "--password", help=f"The Partner API password; or {ENVIRONMENT['password']}."
        )
        parser.add_argument("--sso-salt", help=f"The SSO salt; or {ENVIRONMENT['sso_salt']}.")
        parser.add_argument(
            "--oauth-client-secret",
            help=f"The add-on's OAuth client secret; or {ENVIRONMENT['oauth_client_secret']}.",
        )
        parser.add_argument("--plan", default="basic", help="The plan to provision (basic).")
        parser.add_argument("--new-plan", default="pro", help="The plan to change to (pro).")
        parser.add_argument(
            "--email", default="owner@example.com", help="The Heroku user who logs in by SSO."
        )
        parser.add_argument(
            "--fake-port", type=int, default=DEFAULT_FAKE_PORT, help="The fake Heroku's port."
        )
        parser.add_argument(
            "--print-settings",
            action="store_true",
            help="Print HEROKU_API_URL and HEROKU_ID_URL for the portal under test, and exit.",
        )
        parser.add_argument(
            "--timeout", type=float, default=25.0, help="Seconds for each call to the portal (25)."
        )
        parser.add_argument(
            "--grant-timeout",
            type=float,
            default=30.0,
            help="Seconds to wait for the portal to exchange the OAuth grant (30).",
        )
        parser.add_argument(
            "--async-timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for an async provision or de-provision to complete (120).",
        )

    def handle(self, *args, **options):
        port = options["fake_port"]
        if not 0 < port < 65536:
            raise CommandError("--fake-port must be between 1 and 65535.", returncode=2)
        if options["print_settings"]:
            self.stdout.write(fake_settings(port))
            return
        target = self._target(options)
        try:
            with running_fake(port=port) as fake:
                self.stdout.write(f"Heroku is played by a fake at {fake.url}.")
                rows = run_conformance(target, fake=fake)
        except OSError as exc:
            raise CommandError(
                f"The fake Heroku cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}): "
                "choose another --fake-port and point the portal at it.",
                returncode=2,
            ) from None
        self.stdout.write(render_table(rows))
        if any(row.failed for row in rows):
            raise CommandError(f"The integration fails: {summary(rows)}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"The integration passes: {summary(rows)}"))

    def _target(self, options) -> Target:
        url = options["url"] or ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CommandError(
                "Give the portal's address as URL, e.g. https://portal.example.com.", returncode=2
            )
        known = self._manifest(options["manifest"]) if options["manifest"] else {}
        values = {}
        for name, variable in ENVIRONMENT.items():
            values[name] = options[name] or known.get(name) or os.environ.get(variable, "")
        missing = [f"--{name.replace('_', '-')}" for name, value in values.items() if not value]
        if missing:
            raise CommandError(
                f"Missing {', '.join(missing)} (or --manifest, or the environment: see --help).",
                returncode=2,
            )
        if not options["timeout"] > 0:
            raise CommandError("--timeout must be more than 0 seconds.", returncode=2)
        for name in ("grant_timeout", "async_timeout"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.", returncode=2)
        return Target(
            url=url,
            addon=values["addon"],
            password=values["password"],
            sso_salt=values["sso_salt"],
            client_secret=values["oauth_client_secret"],
            plan=options["plan"],
            new_plan=options["new_plan"],
            email=options["email"],
            request_timeout=options["timeout"],
            grant_timeout=options["grant_timeout"],
            async_timeout=options["async_timeout"],
        )

    @staticmethod
    def _manifest(path: str) -> dict:
        """Return the add-on id, password and SSO salt of the manifest file at PATH."""
        try:
            with open(path, encoding="utf-8") as manifest_file:
                data = json.load(manifest_file)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=2) from None
        except (ValueError, RecursionError):
            raise CommandError(f"{path} is not a JSON manifest.", returncode=2) from None
        api = data.get("api") if isinstance(data, dict) else None
        if not isinstance(api, dict):
            raise CommandError(f"{path} is not a v3 manifest: it has no api object.", returncode=2)
        found = {"addon": data.get("id"), "password": api.get("password")}
        found["sso_salt"] = api.get("sso_salt")
        return {name: value for name, value in found.items() if isinstance(value, str)}
