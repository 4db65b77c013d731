"""A loopback fake of Heroku (the Platform API and id.heroku.com) for tests, benchmarks, the demo.

It serves real HTTP on 127.0.0.1, so the portal's real client, sessions, timeouts and threads are
exercised. Response shapes follow the `example` values of the Platform API schema in
`../shared/heroku/platform-api-schema.json`; behaviour follows `../shared/heroku/API-NOTES.md`:

- `Authorization: Bearer <token>`: a token is bound to one add-on resource and may read only that
  resource's add-on, app, collaborators and team members (anything else: 403 `forbidden`);
  an unknown or expired token answers 401 `unauthorized`.
- Lists are paged: `Range: <field> ..; max=N` (default 200, at most 1000); a truncated list
  answers 206 with `Next-Range: <field> ]<last>..; max=N`.
- Every 200 carries an `ETag`; `If-None-Match` with the current one answers 304 with no body.
- `RateLimit-Remaining` on every answer; an empty pool answers 429 `rate_limit`.
- `POST /oauth/token` exchanges an authorization code (single use, with the add-on's client
  secret) or a refresh token for tokens.

Use it in-process (`with FakeHeroku() as fake: ...`, or the `fake_heroku` pytest fixture), or as a
separate process for benchmarks, smoke tests and the demo:

    python -m addons.heroku.fake --port 5050 --resources 1000 --latency 0.1
    python manage.py fake_heroku --port 5050

It imports nothing from Django or the portal, and nothing in the portal imports it (a contract in
.importlinter): it is a stand-in for Heroku, never part of serving one.

A separate process is driven through its control API under `/_fake/` (see `_control`).
"""

from addons.heroku.fake.server import FakeHeroku
from addons.heroku.fake.world import Fault, World

__all__ = ["Fault", "FakeHeroku", "World"]
