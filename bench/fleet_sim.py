"""Simulate a fleet of resources for a day: Platform API calls per hour, and how stale lists get.

Two designs, each run through the same changes (seeded):

- `polling` (before issue 16): every SYNC_INTERVAL the schedule syncs every list older than it;
  a sync costs 3 calls for a personal app (add-on, app, collaborators) and 4 for a team app (and
  the team's members, fetched per app).
- `webhooks` (issue 16): personal apps with a healthy subscription are polled every
  SYNC_INTERVAL_WITH_WEBHOOK, team apps every SYNC_INTERVAL; a run fetches each team's members
  once (1 call per team per run, not per app); each webhook delivery re-fetches its resource (3
  calls, 4 for a team app, as a run of one); a collaborator change reaches the list after the
  delivery latency (`--delivery-latency`, measured by bench/webhook_bench.py), a team membership
  change only at the team app's next poll (no webhook covers it).

How it counts: every request is one call, 304s included (Heroku counts them). Lists are small
(one page each). A run syncs its due resources stalest first, C at a time, each taking 3 round
trips of `--latency` s; the schedule starts a run every SYNC_INTERVAL. A change's staleness is
the time from the change on Heroku to the stored list showing it.

With `--pool 4500` every call of the fleet is taken from one pool of 4,500 refilled at 75 a
minute (as if Heroku charged all resources' tokens to one account); a run then starts no new
resource below the reserve of 500 (SYNC_RATE_LIMIT_RESERVE), and a delivery's re-fetch waits for
the pool. Without it, each resource's token has its own pool (docs/operations.md, "The Platform API
rate limit"), and the figure of interest is the share of one pool a resource uses.

    .venv/bin/python bench/fleet_sim.py --resources 10000 [--pool 4500] [--json]
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
from dataclasses import dataclass, field

DAY = 86_400.0


@dataclass
class Fleet:
    team_of: list[int]  # resource -> team index, or -1 for a personal app
    teams: dict[int, list[int]] = field(default_factory=dict)


def build_fleet(n: int, team_share: float, apps_per_team: float, rng: random.Random) -> Fleet:
    """Return N resources: TEAM_SHARE of them team apps, teams of about APPS_PER_TEAM apps (1 to
    3 × that, so some teams have many)."""
    team_apps = round(n * team_share)
    team_of = [-1] * n
    order = list(range(n))
    rng.shuffle(order)
    team, left = 0, 0
    teams: dict[int, list[int]] = {}
    for resource in order[:team_apps]:
        if left == 0:
            team += 1
            left = rng.randint(1, max(1, round(2 * apps_per_team - 1)))
        team_of[resource] = team
        teams.setdefault(team, []).append(resource)
        left -= 1
    return Fleet(team_of=team_of, teams=teams)


def changes(fleet: Fleet, args, rng: random.Random) -> list[tuple[float, str, int]]:
    """Return the day's changes: (time, "collaborator" | "team", resource or team)."""
    found = []
    n = len(fleet.team_of)
    count = int(n * args.collaborator_changes_per_app_day)
    for _ in range(count):
        found.append((rng.uniform(0, DAY), "collaborator", rng.randrange(n)))
    teams = list(fleet.teams)
    for _ in range(int(len(teams) * args.team_changes_per_team_day)):
        found.append((rng.uniform(0, DAY), "team", rng.choice(teams)))
    return sorted(found)


class Pool:
    """Heroku's rate-limit pool: CAPACITY calls, refilled at RATE a second (None: unlimited)."""

    def __init__(self, capacity: float | None, rate: float):
        self.capacity, self.rate = capacity, rate
        self.level, self.at = capacity, 0.0

    def refill(self, now: float) -> None:
        if self.capacity is not None:
            self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now

    def ready_at(self, now: float, calls: int) -> float:
        """Return when CALLS calls can be taken (now, when the pool holds them)."""
        if self.capacity is None:
            return now
        self.refill(now)
        if self.level >= calls:
            return now
        return now + (calls - self.level) / self.rate

    def take(self, now: float, calls: int) -> None:
        if self.capacity is not None:
            self.refill(now)
            self.level -= calls


def simulate(design: str, fleet: Fleet, day_changes, args) -> dict:  # noqa: C901
    n = len(fleet.team_of)
    rng = random.Random(args.seed + 1)
    pool = Pool(args.pool, args.pool / 3600 if args.pool else 0)
    per_sync = args.round_trips * args.latency / args.concurrency  # seconds per resource, in a run
    # Lists start fresh, at staggered ages (a fleet in its steady state).
    last_sync = [-rng.uniform(0, args.sync_interval) for _ in range(n)]
    hooked = [design == "webhooks" and rng.random() < args.healthy_share for _ in range(n)]
    calls = 0
    staleness = {"collaborator": [], "team": []}
    unseen: dict[int, list[tuple[float, str]]] = {}  # resource -> changes its list lacks
    events = list(day_changes)
    event_index = 0
    deferred_runs = 0

    def interval(resource: int) -> float:
        if hooked[resource] and fleet.team_of[resource] < 0:
            return args.sync_interval_with_webhook
        return args.sync_interval

    def sync(resource: int, at: float) -> None:
        last_sync[resource] = at
        for changed_at, kind in unseen.pop(resource, []):
            if changed_at <= at:
                staleness[kind].append(at - changed_at)

    run_at = 0.0
    webhook_queue: list[tuple[float, int]] = []
    while run_at < DAY:
        # Changes (and their deliveries) up to this run's start.
        while event_index < len(events) and events[event_index][0] < run_at:
            at, kind, target = events[event_index]
            event_index += 1
            apps = [target] if kind == "collaborator" else fleet.teams[target]
            for resource in apps:
                unseen.setdefault(resource, []).append((at, kind))
            if kind == "collaborator" and design == "webhooks":
                heapq.heappush(webhook_queue, (at + args.delivery_latency, target))
        while webhook_queue and webhook_queue[0][0] < run_at + args.sync_interval:
            at, resource = heapq.heappop(webhook_queue)
            cost = 4 if fleet.team_of[resource] >= 0 else 3
            start = pool.ready_at(at, cost)
            pool.take(start, cost)
            calls += cost
            sync(resource, start + args.round_trips * args.latency)
        # The schedule's run: the due lists, stalest first.
        due = [r for r in range(n) if run_at - last_sync[r] >= interval(r)]
        due.sort(key=lambda r: last_sync[r])
        now = run_at
        teams_fetched: set[int] = set()
        for resource in due:
            team = fleet.team_of[resource]
            cost = 3
            if team >= 0 and (design == "polling" or team not in teams_fetched):
                cost += 1
                teams_fetched.add(team)
            if args.pool:
                pool.refill(now)
                if pool.level - cost < args.reserve:
                    deferred_runs += 1
                    break
            pool.take(now, cost)
            calls += cost
            now += per_sync
            sync(resource, now)
        run_at += args.sync_interval
    for changes_left in unseen.values():
        for changed_at, kind in changes_left:
            staleness[kind].append(DAY - changed_at)  # still not shown at the day's end
    return {
        "calls_per_hour": round(calls / 24),
        "calls_per_resource_hour": round(calls / 24 / n, 2),
        "share_of_one_4500_pool_per_resource": f"{calls / 24 / n / 4500:.2%}",
        "share_of_one_4500_pool_for_the_fleet": f"{calls / 24 / 4500:.0%}",
        "collaborator_change_staleness": summary(staleness["collaborator"]),
        "team_change_staleness": summary(staleness["team"]),
        "runs_stopped_by_the_reserve": deferred_runs,
    }


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"changes": 0}
    ordered = sorted(samples)

    def pct(share):
        return round(ordered[min(int(share * len(ordered)), len(ordered) - 1)], 1)

    return {"changes": len(ordered), "p50_s": pct(0.5), "p99_s": pct(0.99), "max_s": pct(1.0)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--team-share", type=float, default=0.4)
    parser.add_argument("--apps-per-team", type=float, default=5.0)
    parser.add_argument("--collaborator-changes-per-app-day", type=float, default=0.05)
    parser.add_argument("--team-changes-per-team-day", type=float, default=0.2)
    parser.add_argument("--healthy-share", type=float, default=0.98)
    parser.add_argument("--sync-interval", type=float, default=300)
    parser.add_argument("--sync-interval-with-webhook", type=float, default=3600)
    parser.add_argument("--delivery-latency", type=float, default=1.7)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--round-trips", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pool", type=float, default=None)
    parser.add_argument("--reserve", type=float, default=500)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    fleet = build_fleet(args.resources, args.team_share, args.apps_per_team, rng)
    day_changes = changes(fleet, args, rng)
    result = {
        "resources": args.resources,
        "team_apps": sum(1 for t in fleet.team_of if t >= 0),
        "teams": len(fleet.teams),
        "changes": {
            "collaborator": sum(1 for c in day_changes if c[1] == "collaborator"),
            "team": sum(1 for c in day_changes if c[1] == "team"),
        },
        "pool": args.pool or "one per resource",
        "polling": simulate("polling", fleet, day_changes, args),
        "webhooks": simulate("webhooks", fleet, day_changes, args),
    }
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
