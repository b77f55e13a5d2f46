"""What a transition costs now that it writes the client's message: successful transition POSTs
over real HTTP (gunicorn, as ``run.py`` serves), interleaved in one run with the minimal page:

- "with consent": missions whose client has email consent, so the transition also writes its
  outbox row (and hands it to the worker's queue after the commit);
- "without consent": missions whose client has none (the outbox statement writes nothing).

Each request starts a different pending mission of the busiest partner, so every one of them is
a real transition (the page benchmark's "transition POST" repeats one mission, which after the
first request is refused). Run it on a commit before the outbox too (that code has no consent:
both groups are then plain transitions) to compare with "before".

    python bench/transition_cost.py --database-url sqlite:////tmp/bench.sqlite3 \
        --missions 1000000 --samples 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conflict_load import free_port, fresh_postgres, server  # noqa: E402
from bench.load import percentile  # noqa: E402
from bench.run import WARM_UP, build, log_in, server_settings  # noqa: E402

GROUPS = ("with consent", "without consent")


def pending_missions(partner_id: int, count: int) -> list[str]:
    """``count`` pending missions of the partner, each of a different client."""
    from sqlalchemy import select

    from admin_app.data.models import Mission, MissionStatus
    from admin_app.extensions import db

    rows = db.session.execute(
        select(Mission.id, Mission.client_id)
        .where(Mission.partner_id == partner_id, Mission.status == MissionStatus.PENDING)
        .order_by(Mission.created_at.desc())
        .limit(count * 4)
    )
    chosen: dict[str, str] = {}
    for mission_id, client_id in rows:
        chosen.setdefault(client_id, mission_id)
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} pending missions of distinct clients")
    return list(chosen.values())[:count]


def give_consent(mission_ids: list[str]) -> bool:
    """Email consent for the clients of ``mission_ids``; False on code without consent."""
    try:
        from admin_app.data.messaging import ClientConsent
    except ImportError:
        return False
    from sqlalchemy import select

    from admin_app.data.models import Mission
    from admin_app.extensions import db

    clients = db.session.scalars(select(Mission.client_id).where(Mission.id.in_(mission_ids)))
    db.session.add_all(ClientConsent(client_id=client, channel="email") for client in clients)
    db.session.commit()
    return True


def prepare(url: str, partner_id: int, samples: int, settings: dict[str, str]) -> dict:
    from admin_app import create_app
    from admin_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **settings})
    with app.app_context():
        missions = pending_missions(partner_id, 2 * (samples + WARM_UP))
        half = len(missions) // 2
        groups = {GROUPS[0]: missions[:half], GROUPS[1]: missions[half:]}
        consent = give_consent(groups[GROUPS[0]])
        db.session.remove()
        db.engine.dispose()
    return {"groups": groups, "consent": consent}


def measure(port: int, accounts: dict[str, str], groups: dict[str, list[str]]) -> dict:
    """The minimal page and one transition of each group, in turn, a request each."""
    browser = log_in(port, accounts["partner_email"], accounts["partner_password"])
    browser.csrf = browser.token("/admin/")
    timings: dict[str, list[float]] = {"hello": [], **{group: [] for group in groups}}
    statuses: dict[str, set[int]] = {name: set() for name in timings}
    for turn in range(len(groups[GROUPS[0]])):
        for name in timings:
            if name == "hello":
                method, path, form = "GET", "/_bench/hello", None
            else:
                method, path = "POST", "/admin/missions/transition/"
                form = {"id": groups[name][turn], "action": "start", "csrf_token": browser.csrf}
            started = time.perf_counter()
            response, _ = browser.request(method, path, form)
            if turn >= WARM_UP:
                timings[name].append((time.perf_counter() - started) * 1000)
            statuses[name].add(response.status)
    return {"timings": timings, "statuses": statuses}


def started_count(url: str, settings: dict[str, str], groups: dict[str, list[str]]) -> dict:
    """How many missions of each group are now in progress, and the outbox's rows."""
    from sqlalchemy import func, select

    from admin_app import create_app
    from admin_app.data.models import Mission, MissionStatus
    from admin_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **settings})
    with app.app_context():
        counts = {
            group: db.session.scalar(
                select(func.count()).where(
                    Mission.id.in_(ids), Mission.status == MissionStatus.IN_PROGRESS
                )
            )
            for group, ids in groups.items()
        }
        try:
            from admin_app.data.messaging import OutboxMessage

            counts["outbox rows"] = db.session.scalar(select(func.count(OutboxMessage.id)))
        except ImportError:
            counts["outbox rows"] = "(no outbox)"
        db.session.remove()
        db.engine.dispose()
    return counts


def report(title: str, measured: dict, counts: dict) -> str:
    lines = [f"### {title}", "", "| request | p50 ms | p95 ms | mean ms | statuses |",
             "|---|---|---|---|---|"]  # fmt: skip
    for name, values in measured["timings"].items():
        codes = ",".join(str(code) for code in sorted(measured["statuses"][name]))
        lines.append(
            f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} | "
            f"{statistics.mean(values):.2f} | {codes} |"
        )
    lines += ["", ", ".join(f"{name}: {value}" for name, value in counts.items())]
    return "\n".join(lines) + "\n"


def run(url: str, missions: int, samples: int) -> str:
    settings = server_settings()
    accounts = build(url, missions, settings)
    prepared = prepare(url, int(accounts["partner_id"]), samples, settings)
    port = free_port()
    with server(url, settings, port):
        measured = measure(port, accounts, prepared["groups"])
    counts = started_count(url, settings, prepared["groups"])
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    consent = "consent given" if prepared["consent"] else "code without consent"
    title = f"Transition POST, {backend}, {missions:,} missions, {samples} each ({consent})"
    return report(title, measured, counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--missions", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    options = parser.parse_args()
    from admin_app.config import database_url

    url = database_url(options.database_url, "")
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        print(run(url, options.missions, options.samples))
        return 0
    with fresh_postgres(url) as fresh:
        print(run(fresh, options.missions, options.samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
