"""Serve the fake Heroku on loopback: `python -m addons.heroku.fake --port 5050`."""

from __future__ import annotations

import argparse
import signal
import sys

from addons.heroku.fake.demo import demo_world
from addons.heroku.fake.server import FakeHeroku
from addons.heroku.fake.world import World


def main(argv=None) -> None:
    """Serve a fake Heroku until SIGTERM or Ctrl-C (exit status 0 either way)."""
    parser = argparse.ArgumentParser(description="Serve a fake Heroku Platform API on loopback.")
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument("--resources", type=int, default=0, help="size of the generated world")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big", type=int, default=2100, help="list size of resource 0")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--rate-limit", type=int, default=10**9)
    parser.add_argument("--demo", action="store_true", help="serve the demo's world (demo.py)")
    parser.add_argument("--oauth-client-id", default="", help="with --demo: the portal's client")
    parser.add_argument("--oauth-client-secret", default="")
    args = parser.parse_args(argv)
    world = World.generate(args.resources, seed=args.seed, big=args.big) if args.resources else None
    if args.demo:
        world = demo_world(
            oauth_client_id=args.oauth_client_id, oauth_client_secret=args.oauth_client_secret
        )
    fake = FakeHeroku(
        world,
        latency=args.latency,
        port=args.port,
        rate_limit=args.rate_limit,
        record=False,
        deliver_webhooks=True,
    )
    print(f"fake Heroku on {fake.url} with {len(fake.world.addons)} resources", flush=True)
    # SIGTERM (how tests and process managers stop it) ends it as cleanly as Ctrl-C: exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    fake.dispatcher.start()  # webhook deliveries go out as the world changes
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()


if __name__ == "__main__":
    main()
