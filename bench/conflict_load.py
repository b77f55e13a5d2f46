"""Conflict load test: many browsers of one shop hit the same missions at once, over real HTTP.

It starts gunicorn (127.0.0.1 only) on a fresh database, logs in N sessions of one partner and
lets each, for a bounded time, start / complete / cancel (with a reason) random missions, add
notes to their timelines, and register clients. Afterwards it checks, in the database:

- every mission's history is one unbroken chain whose last step is the mission's status;
- every transition a client saw succeed is in the history, and nothing else is;
- no lost note: every note a client saw added is stored, once, and nothing else is;
- no 5xx answer and no deadlock (every request answered within its timeout).

Usage: python bench/conflict_load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
Prints the requests made, conflicts refused and errors; exits 1 when an invariant fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)
ACTIONS = ("start", "complete", "cancel")


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    transitions: list[tuple[str, str]] = field(default_factory=list)  # (mission, action) done
    notes: list[tuple[str, str]] = field(default_factory=list)  # (mission, text) added
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str, **kwargs: object) -> None:
        with self.lock:
            self.counts[outcome] += 1
            if "transition" in kwargs:
                self.transitions.append(kwargs["transition"])  # type: ignore[arg-type]
            if "note" in kwargs:
                self.notes.append(kwargs["note"])  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def fresh_postgres(server_url: str, prefix: str = "walkin_load") -> Iterator[str]:
    """Yield the URL of a new, empty database on the server; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(
    database_url: str, settings: dict[str, str], missions: int
) -> tuple[str, str, list[str]]:
    """Migrate, create one partner and its missions; return its email, password, mission ids."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.domain.missions import register_walk_in_client
    from admin_app.extensions import db, security
    from admin_app.platform.security import ensure_roles

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    with app.app_context():
        upgrade()
        ensure_roles()
        from flask_security import hash_password

        email, password = "shop@walkin.example.com", secrets.token_urlsafe(16)
        partner = security.datastore.create_user(
            email=email, password=hash_password(password), active=True, roles=["partner"]
        )
        db.session.commit()
        ids = []
        for index in range(missions):
            _, mission = register_walk_in_client(
                partner, first_name="Load", last_name=f"Test{chr(65 + index % 26)}",
                email=f"load{index}@example.com", phone="+33612345678",
            )  # fmt: skip
            ids.append(mission.id)
        db.session.remove()
        db.engine.dispose()
    return email, password, ids


@contextmanager
def server(
    database_url: str,
    settings: dict[str, str],
    port: int,
    app_spec: str = "wsgi:app",
    ready_path: str = "/login",
) -> Iterator[str]:
    """gunicorn serving ``app_spec`` on 127.0.0.1:``port``, once ``ready_path`` answers."""
    env = {**os.environ, "DATABASE_URL": database_url, **settings}
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, local server
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "4",
         "--threads", "4", "--timeout", "30", "--log-level", "warning", app_spec],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}{ready_path}", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def token(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def log_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10).text
    browser.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token(page)},
        timeout=10,
    )
    return browser


def transition(browser: requests.Session, base: str, csrf: str, mission: str, tally: Tally) -> None:
    action = random.choice(ACTIONS)  # noqa: S311 - load pattern, not security
    if action == "cancel":  # the cancel page's form: a refusal shows the form again (200)
        url, data = f"{base}/admin/missions/cancel/", {"reason": "no_show"}
    else:
        url, data = f"{base}/admin/missions/transition/", {"action": action}
    answer = browser.post(
        url,
        data={"id": mission, "csrf_token": csrf, "url": "/admin/", **data},
        timeout=10,
        allow_redirects=False,
    )
    refused_on_its_form = answer.status_code == 200 and action == "cancel"
    if answer.status_code != 302 and not refused_on_its_form:
        tally.add(f"error {answer.status_code}")
        return
    flashes = answer.text if refused_on_its_form else browser.get(f"{base}/admin/", timeout=10).text
    if not refused_on_its_form and "1 mission " in flashes:
        tally.add("transition done", transition=(mission, action))
    elif "someone else changed it" in flashes:
        tally.add("transition conflict refused")
    else:
        tally.add("transition refused by the rules")


def add_note(browser: requests.Session, base: str, csrf: str, mission: str, tally: Tally) -> None:
    note = f"note {uuid.uuid4().hex[:10]}"
    answer = browser.post(
        f"{base}/admin/missions/note/",
        data={"id": mission, "text": note, "csrf_token": csrf},
        timeout=10,
        allow_redirects=False,
    )
    if answer.status_code == 302:
        tally.add("note added", note=(mission, note))
    else:
        tally.add(f"error {answer.status_code}")


def register(browser: requests.Session, base: str, csrf: str, tally: Tally) -> None:
    answer = browser.post(
        f"{base}/admin/clients/new/",
        data={"first_name": "Walk", "last_name": "In", "phone": "06 12 34 56 78",
              "email": f"w{uuid.uuid4().hex[:8]}@example.com", "csrf_token": csrf},
        timeout=10,
        allow_redirects=False,
    )  # fmt: skip
    tally.add("registration saved" if answer.status_code == 302 else f"error {answer.status_code}")


def browse(
    base: str, email: str, password: str, missions: list[str], until: float, tally: Tally
) -> None:
    browser = log_in(base, email, password)
    csrf = token(browser.get(f"{base}/admin/", timeout=10).text)
    while time.monotonic() < until:
        mission = random.choice(missions)  # noqa: S311
        roll = random.random()  # noqa: S311
        try:
            if roll < 0.5:
                transition(browser, base, csrf, mission, tally)
            elif roll < 0.85:
                add_note(browser, base, csrf, mission, tally)
            else:
                register(browser, base, csrf, tally)
        except requests.RequestException as error:
            tally.add(f"error {type(error).__name__}")


def check(database_url: str, tally: Tally) -> list[str]:
    """The invariants; each broken one is a line of the returned list."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        missions = connection.execute(
            text("SELECT id, status, completed_at FROM walk_in_mission")
        ).all()
        notes = connection.execute(text("SELECT mission_id, text FROM mission_note")).all()
        events = connection.execute(
            text("SELECT mission_id, from_status, to_status FROM mission_event ORDER BY at, id")
        ).all()
    engine.dispose()
    errors = [f"{n} x {o}" for o, n in tally.counts.items() if o.startswith("error")]
    return history_problems(missions, events, tally) + notes_problems(notes, tally) + errors


def history_problems(missions: list, events: list, tally: Tally) -> list[str]:
    """Each history is one chain from creation to the current status, with exactly the steps
    the clients were told succeeded."""
    problems = []
    chains: dict[str, list[tuple[str | None, str]]] = {}
    for mission_id, source, target in events:
        chains.setdefault(mission_id, []).append((source, target))
    done = Counter(mission for mission, _ in tally.transitions)
    for mission_id, status, completed_at in missions:
        chain = chains.get(mission_id, [])
        linked = all(chain[i][0] == chain[i - 1][1] for i in range(1, len(chain)))
        if not chain or chain[0][0] is not None or not linked or chain[-1][1] != status:
            problems.append(f"mission {mission_id}: history {chain} does not end in {status}")
        if len(chain) - 1 != done[mission_id]:
            problems.append(
                f"mission {mission_id}: {len(chain) - 1} steps, {done[mission_id]} seen"
            )
        if (completed_at is not None) != (status == "completed"):
            problems.append(f"mission {mission_id}: completed_at does not match {status}")
    return problems


def notes_problems(notes: list, tally: Tally) -> list[str]:
    """Every note a client saw added is stored once, on its mission, and no other note is."""
    stored = Counter((mission_id, text) for mission_id, text in notes)
    added = Counter(tally.notes)
    return [
        f"note {key}: stored {stored[key]} times, added {added[key]} times"
        for key in stored.keys() | added.keys()
        if stored[key] != added[key]
    ]


def run(
    server_url: str, clients: int, seconds: float, missions: int, servers: int = 1
) -> tuple[Tally, list[str]]:
    """The load through ``servers`` app servers (separate gunicorn processes sharing the
    database), the browsers dealt among them in turn."""
    settings = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "LOGIN_FAILURES_PER_ADDRESS": "1000 per minute",
    }
    tally = Tally()
    with fresh_postgres(server_url) as database_url:
        email, password, ids = prepare(database_url, settings, missions)
        with ExitStack() as running:
            bases = [
                running.enter_context(server(database_url, settings, free_port()))
                for _ in range(servers)
            ]
            until = time.monotonic() + seconds
            workers = [
                threading.Thread(
                    target=browse,
                    args=(bases[number % servers], email, password, ids, until, tally),
                )
                for number in range(clients)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=seconds + 60)
            if any(worker.is_alive() for worker in workers):
                tally.add("error deadlock: a client never finished")
        return tally, check(database_url, tally)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                        "postgresql://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--missions", type=int, default=12)
    parser.add_argument("--servers", type=int, default=1, help="app servers sharing the database")
    options = parser.parse_args()
    from admin_app.config import database_url

    started = time.monotonic()
    tally, problems = run(
        database_url(options.database_url, ""),
        options.clients,
        options.seconds,
        options.missions,
        options.servers,
    )
    report = {
        "servers": options.servers,
        "requests": sum(tally.counts.values()),
        "requests per second": round(sum(tally.counts.values()) / options.seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
        "outcomes": dict(sorted(tally.counts.items())),
        "conflicts refused": tally.counts["transition conflict refused"]
        + tally.counts["notes conflict refused"],
        "errors": sum(c for o, c in tally.counts.items() if o.startswith("error")),
        "problems": problems,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
