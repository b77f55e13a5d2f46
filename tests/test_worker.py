"""The worker (``worker.py``, ``flask walkin worker``): committed messages reach the mail
server through the queue on each storage; a queue that cannot be reached fails no click and
the sweep catches up; a rolled-back change sends nothing; a worker killed mid-send sends the
message once it is back, and never to a client who withdrew meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from sqlalchemy import event, select, update

from admin_app import PROJECT_ROOT
from admin_app.config import SECRET_NAMES, message_settings, settings_from_environment
from admin_app.data.db_types import utcnow
from admin_app.data.messaging import OutboxMessage
from admin_app.data.models import RoleName
from admin_app.domain.consent import withdrawal_token
from admin_app.domain.missions import apply_transition
from admin_app.domain.outbox import hand_over_after_commit
from admin_app.extensions import db
from admin_app.worker import make_huey, worker_of
from tests.conftest import Account, csrf_token, log_in, post_with_csrf
from tests.databases import fresh_database, server_url
from tests.message_support import Shop, mail_settings, message_of
from tests.smtp_server import Inbox, wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def consumer_of(app: Flask) -> Iterator[None]:
    """The app's consumer running in this process (threads), as ``flask walkin worker``
    runs it, without taking over this process's signals."""
    huey = worker_of(app).huey
    consumer = huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, max_delay=0.2, check_worker_health=False
    )
    handlers = {number: signal.getsignal(number) for number in consumer._signal_actions}
    consumer.start()
    for number, handler in handlers.items():
        signal.signal(number, handler)
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def test_storage_setting_chooses_the_queue(tmp_path: Path) -> None:
    default = make_huey("", "walkin", str(tmp_path))
    assert isinstance(default, SqliteHuey)
    assert default.storage.filename == str(tmp_path / "huey.sqlite3")
    assert (tmp_path / "huey.sqlite3").exists()
    chosen = make_huey(f"sqlite:///{tmp_path}/queue.db", "walkin", str(tmp_path))
    assert chosen.storage.filename == f"{tmp_path}/queue.db"
    assert isinstance(make_huey(REDIS_URL, "walkin", str(tmp_path)), RedisHuey)
    assert isinstance(make_huey("memory", "walkin", str(tmp_path)), MemoryHuey)
    with pytest.raises(ValueError, match="amqp"):
        make_huey("amqp://broker/", "walkin", str(tmp_path))


def test_mail_and_queue_settings_are_read_from_the_environment(monkeypatch, tmp_path) -> None:
    default = message_settings({})
    assert default["MAIL_BACKEND"] == "console", "without a server, messages are printed"
    assert (default["HUEY_STORAGE"], default["PUBLIC_URL"]) == ("", "http://127.0.0.1:5000")
    assert (default["MESSAGE_RETRY_SECONDS"], default["MESSAGE_MAX_ATTEMPTS"]) == (60.0, 5)
    for name, value in {
        "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "587", "MAIL_USE_TLS": "1",
        "MAIL_USERNAME": "shop", "MAIL_PASSWORD": "secret", "MAIL_TIMEOUT": "10",
        "HUEY_STORAGE": REDIS_URL, "MESSAGE_RETRY_SECONDS": "5", "MESSAGE_MAX_ATTEMPTS": "3",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    chosen = settings_from_environment(str(tmp_path))
    assert chosen["MAIL_BACKEND"] == "smtp" and chosen["MAIL_SERVER"] == "smtp.example.com"
    assert (chosen["MAIL_PORT"], chosen["MAIL_USE_TLS"], chosen["MAIL_TIMEOUT"]) == (
        587,
        True,
        10.0,
    )
    assert (chosen["MAIL_USERNAME"], chosen["MAIL_PASSWORD"]) == ("shop", "secret")
    assert chosen["HUEY_STORAGE"] == REDIS_URL
    assert (chosen["MESSAGE_RETRY_SECONDS"], chosen["MESSAGE_MAX_ATTEMPTS"]) == (5.0, 3)


@pytest.fixture
def postgres_queue_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for a PostgreSQL queue (PostgreSQL runs only)."""
    if server_url() is None:
        pytest.skip("the PostgreSQL queue is tried on PostgreSQL runs (TEST_DATABASE_URL)")
    with fresh_database(tmp_path, "queue") as url:
        yield url


def test_postgres_storage_is_built_on_its_database(postgres_queue_url: str, tmp_path) -> None:
    huey = make_huey(postgres_queue_url, "walkin", str(tmp_path))
    assert isinstance(huey, PostgresHuey)
    assert huey.pending_count() == 0
    huey.storage.close()


def _round_trip(
    sibling_app, make_account, smtp: tuple[Inbox, int], inbox: Inbox, storage: str
) -> None:
    """Register a consenting client on an app whose queue is ``storage``: the consumer sends
    the message to the SMTP server."""
    sender = sibling_app(**mail_settings(smtp[1], HUEY_STORAGE=storage))
    huey = worker_of(sender).huey
    try:
        with sender.app_context():
            account = make_account(RoleName.PARTNER)
            _, mission_id, email = Shop(account.id).register("Inès")
            assert huey.pending_count() == 1, "enqueued right after the commit"
            with consumer_of(sender):
                wait_for(lambda: inbox.to(email))
            assert message_of(mission_id, "opened").status == "sent"
            db.session.remove()
    finally:
        huey.flush()
        huey.storage.close()


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_committed_message_reaches_the_mail_server_through_the_queue(
    app, sibling_app, make_account, smtp, inbox: Inbox, tmp_path: Path, queue: str
) -> None:
    storage = f"sqlite:///{tmp_path}/queue.db" if queue == "sqlite" else REDIS_URL
    _round_trip(sibling_app, make_account, smtp, inbox, storage)


def test_committed_message_reaches_the_mail_server_through_a_postgres_queue(
    app, sibling_app, make_account, smtp, inbox: Inbox, postgres_queue_url: str
) -> None:
    _round_trip(sibling_app, make_account, smtp, inbox, postgres_queue_url)


def test_unreachable_queue_fails_no_click_and_the_sweep_catches_up(
    app, sibling_app, client, make_account, smtp, inbox: Inbox, mail_app_built: Flask
) -> None:
    cut_off = sibling_app(HUEY_STORAGE="redis://127.0.0.1:9/0")  # nothing listens there
    account: Account = make_account(RoleName.PARTNER)
    with cut_off.app_context():
        _, mission_id, email = Shop(account.id).register("Inès")
        db.session.remove()
    browser = cut_off.test_client()
    log_in(browser, account)

    response = post_with_csrf(
        browser, "/admin/missions/transition/", {"id": mission_id, "action": "start"}
    )
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not done" not in page

    worker = worker_of(mail_app_built)
    worker.huey.flush()
    with mail_app_built.app_context():
        assert message_of(mission_id, "started").status == "pending"
        assert worker.sweep() == 2
        with consumer_of(mail_app_built):
            wait_for(lambda: len(inbox.to(email)) == 2)
        assert message_of(mission_id, "started").status == "sent"
        db.session.remove()


def test_transition_that_rolls_back_queues_and_sends_nothing(
    app, make_account, inbox: Inbox, mail_app: Flask
) -> None:
    shop = Shop(make_account(RoleName.PARTNER).id)
    _, mission_id, email = shop.register("Inès")
    worker = worker_of(mail_app)
    worker.huey.flush()

    def fail_after_the_outbox(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE PARTNER_TALLY"):
            raise RuntimeError("the database went away")

    event.listen(db.engine, "before_cursor_execute", fail_after_the_outbox)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            apply_transition(mission_id, shop.partner, "start")
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_after_the_outbox)
        db.session.rollback()

    assert worker.huey.pending_count() == 0, "nothing handed to the worker"
    events = db.session.scalars(select(OutboxMessage.event)).all()
    assert events == ["opened"], "no message for the transition that rolled back"
    with consumer_of(mail_app):
        assert worker.sweep() == 1
        wait_for(lambda: inbox.to(email))
    assert worker.huey.pending_count() == 0
    [received] = inbox.to(email)
    assert str(received.message["Subject"]).strip().endswith("votre visite est enregistrée")
    assert message_of(mission_id, "opened").status == "sent"


def test_worker_retries_a_refused_message_until_it_fails_and_sends_it_once_an_admin_retries(
    app, make_account, inbox: Inbox, mail_app: Flask
) -> None:
    shop = Shop(make_account(RoleName.PARTNER).id)
    worker_of(mail_app).huey.flush()
    inbox.refusal = "451 4.3.0 Try again later"
    with consumer_of(mail_app):
        _, mission_id, _ = shop.register("Inès")
        wait_for(lambda: message_of(mission_id, "opened").status == "failed", timeout=30)
    assert len(inbox.tries) == 3
    assert inbox.tries[1] - inbox.tries[0] >= 0.1 and inbox.tries[2] - inbox.tries[1] >= 0.2
    assert message_of(mission_id, "opened").last_error == "451 4.3.0 Try again later"

    # An admin retries it (the failed-messages page's button): pending again, from attempt 0.
    inbox.refusal = None
    message_id = message_of(mission_id, "opened").id
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="pending", attempts=0)
    )
    hand_over_after_commit(message_id)
    db.session.commit()
    with consumer_of(mail_app):
        wait_for(lambda: message_of(mission_id, "opened").status == "sent", timeout=30)
    assert len(inbox.received) == 1 and message_of(mission_id, "opened").attempts == 1


# --- the worker as a process: `flask --app wsgi walkin worker` ---------------------------


class WorkerProcess:
    """``flask --app wsgi walkin worker`` on the tests' database, sending to the test SMTP
    server, with a queue file of its own; its log in ``log``."""

    def __init__(self, app: Flask, database_url: str, port: int, directory: Path) -> None:
        self.log = directory / "worker.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HUEY_STORAGE": f"sqlite:///{directory / 'queue.sqlite3'}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(port),
            "MAIL_TIMEOUT": "30",
            "MESSAGE_LEASE_SECONDS": "3",
            "MESSAGE_RETRY_SECONDS": "0.5",
            **{name: app.config[name] for name in SECRET_NAMES},
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "wsgi",
                    "walkin",
                    "worker",
                    "--workers",
                    "1",
                    "--poll-seconds",
                    "0.2",
                ],  # fmt: skip
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: "worker ready" in self.output(), timeout=30)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no chance to finish anything
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def worker_process(app: Flask, database_url: str, smtp, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(app, database_url, smtp[1], tmp_path)
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


def test_worker_killed_mid_send_sends_once_back_and_never_to_a_withdrawn_client(
    app: Flask, ctx, client, make_account, inbox: Inbox, worker_process: WorkerProcess
) -> None:
    shop = Shop(make_account(RoleName.PARTNER).id)
    shop.partner.shop_name = "Atelier Lumière"
    db.session.commit()
    _, kept_mission, kept_email = shop.register("Inès")
    withdrawn_client, withdrawn_mission, withdrawn_email = shop.register("Léo")
    inbox.hold = True

    worker_process.start()
    inbox.holding.wait(timeout=30)
    assert inbox.holding.is_set(), worker_process.output()
    worker_process.kill()
    inbox.release.set()

    # While no worker runs, the second client withdraws by the link of an earlier message.
    link = f"/stop-emails/{withdrawal_token(withdrawn_client)}"
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    db.session.expire_all()
    held = message_of(kept_mission, "opened")
    assert (held.status, held.attempts) == ("pending", 1)
    wait_for(lambda: utcnow() >= message_of(kept_mission, "opened").next_attempt_at)

    worker_process.start()
    wait_for(lambda: inbox.to(kept_email), timeout=30)
    wait_for(lambda: message_of(withdrawn_mission, "opened").status == "withdrawn", timeout=30)
    assert worker_process.stop() == 0

    assert len(inbox.to(kept_email)) == 1
    assert inbox.to(withdrawn_email) == []
    sent = message_of(kept_mission, "opened")
    assert (sent.status, sent.attempts) == ("sent", 2)


def test_worker_stops_cleanly_on_sigterm(app, worker_process: WorkerProcess) -> None:
    worker_process.start()
    assert worker_process.stop() == 0
    assert "Shutting down gracefully" in worker_process.output()
    assert "Traceback" not in worker_process.output()
