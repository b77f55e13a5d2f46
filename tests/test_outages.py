"""Database outages under concurrent load, over real HTTP: every answer during the outage is a
page of the panel (503 while the database is away), never a 500, and the app recovers by
itself. On SQLite the file is moved away and back; on PostgreSQL connections are cut (as a
proxy would) and then refused. Kept small for CI: a few browsers for a few seconds."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import requests

from admin_app.config import sqlite_file
from tests.conftest import Account, World, serve
from tests.databases import app_database, cut_connections, database_outage

BROWSERS = 8
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
#: What a page of the panel may answer while the database comes and goes.
PANEL_ANSWERS = {200, 302, 400, 429, 503}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500 and response.status_code != 503:
                self.failures.append(f"{response.status_code} {response.request.method} "
                                     f"{response.request.path_url}")  # fmt: skip
        return response


def token(page: str) -> str | None:
    match = CSRF.search(page)
    return (match.group(1) or match.group(2)) if match else None


class Browser:
    """A partner's browser: logs in when it must, lists, starts and cancels missions."""

    def __init__(self, base: str, account: Account, missions: list[str], tally: Tally) -> None:
        self.base, self.account, self.missions, self.tally = base, account, missions, tally
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.tally.add(self.http.get(self.base + path, allow_redirects=False, timeout=10))

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        answer = self.http.post(self.base + path, data=data, allow_redirects=False, timeout=10)
        return self.tally.add(answer)

    def step(self) -> None:
        page = self.get("/admin/missions/")
        if page.status_code == 302:
            login = self.get("/login")
            csrf = token(login.text)
            if csrf:
                self.post("/login", {"email": self.account.email,
                                     "password": self.account.password, "csrf_token": csrf})  # fmt: skip
            return
        csrf = token(page.text)
        if csrf:
            mission = random.choice(self.missions)  # noqa: S311 - a load pattern
            form = {"id": mission, "csrf_token": csrf, "url": "/admin/"}
            if random.random() < 0.5:  # noqa: S311
                self.post("/admin/missions/transition/", {**form, "action": "start"})
            else:
                self.post("/admin/missions/cancel/", {**form, "reason": "no_show"})
        self.get("/admin/")

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step()
            except requests.RequestException as error:
                with self.tally.lock:
                    self.tally.failures.append(f"no answer: {type(error).__name__}")


class Visitor(Browser):
    """Someone at the login page, mistyping a password now and then."""

    def step(self) -> None:
        self.http.cookies.clear()
        csrf = token(self.get("/login").text)
        if csrf:
            self.post("/login", {"email": self.account.email, "password": "wrong-password-12",
                                 "csrf_token": csrf})  # fmt: skip


@contextmanager
def under_load(app, world: World) -> Iterator[tuple[str, Tally]]:
    """The app served over HTTP to partners' browsers and login-page visitors."""
    tally, stop = Tally(), threading.Event()
    missions = [world.a_mission, world.a_started_mission]
    with serve(app) as base:
        people = [Browser(base, world.partner_a, missions, tally) for _ in range(BROWSERS - 2)]
        people += [Visitor(base, world.support, missions, tally) for _ in range(2)]
        threads = [threading.Thread(target=person.run, args=(stop,)) for person in people]
        for thread in threads:
            thread.start()
        try:
            yield base, tally
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)


@pytest.fixture
def loaded(app, monkeypatch):
    """Visitors' wrong passwords must not lock the partners' address out of the test."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "10000 per minute")
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "10000 per minute")
    return app


def assert_recovered(base: str, account: Account) -> None:
    """Once the database is back, every page answers again, a login included."""
    browser = requests.Session()
    pages = [browser.get(f"{base}/login", timeout=10).status_code for _ in range(10)]
    csrf = token(browser.get(f"{base}/login", timeout=10).text)
    browser.post(f"{base}/login", data={"email": account.email, "password": account.password,
                                        "csrf_token": csrf}, timeout=10)  # fmt: skip
    lists = [browser.get(f"{base}/admin/missions/", timeout=10).status_code for _ in range(10)]
    assert pages == [200] * 10 and lists == [200] * 10


def test_sqlite_file_away_under_load_answers_503_never_500(loaded, world, tmp_path):
    if sqlite_file(app_database(loaded)) is None:
        pytest.skip("SQLite outage: this run is on PostgreSQL")
    with under_load(loaded, world) as (base, tally):
        time.sleep(0.7)
        with database_outage(loaded, tmp_path):
            time.sleep(1.2)
        time.sleep(1.0)
        assert_recovered(base, world.partner_a)

    assert tally.failures == []
    assert set(tally.statuses) <= PANEL_ANSWERS, tally.statuses
    assert tally.statuses[503] > 0 and tally.statuses[200] > 0, tally.statuses


def test_postgres_connections_cut_or_refused_under_load_answer_503_never_500(
    loaded, world, tmp_path
):
    url = app_database(loaded)
    if sqlite_file(url) is not None:
        pytest.skip("PostgreSQL outage: this run is on SQLite")
    with under_load(loaded, world) as (base, tally):
        time.sleep(0.5)
        for _ in range(12):  # a proxy cutting every connection, ten times a second
            cut_connections(url)
            time.sleep(0.1)
        with database_outage(loaded, tmp_path, drop_pool=False):
            time.sleep(0.8)
        time.sleep(1.0)
        assert_recovered(base, world.partner_a)

    assert tally.failures == []
    assert set(tally.statuses) <= PANEL_ANSWERS, tally.statuses
    assert tally.statuses[503] > 0 and tally.statuses[200] > 0, tally.statuses
