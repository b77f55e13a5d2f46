"""The worker that sends the outbox: a Huey queue made for each app, its tasks and its sweep.

Nothing here decides what is sent or when a message counts as sent: ``domain/delivery.py``
does, and ``domain/outbox.py`` writes the messages. This module only moves message ids:

- after a commit that wrote messages, their ids are enqueued (``init_outbox_dispatch``); if the
  queue cannot be reached, the request still succeeds and the sweep finds the messages;
- ``deliver`` sends one message inside an app context, and schedules the next try after a
  refusal (the delay the domain gave);
- the sweep enqueues every pending message whose time has come, every minute and once when
  the consumer starts: messages written while no worker ran, whose enqueue failed, or whose
  worker was killed mid-send (once its lease is over). An id enqueued twice (by the hand-over
  and a sweep) costs one UPDATE that changes nothing: the claim decides who sends.

Each hour it also deletes the API's kept answers that expired (``domain/idempotency.py``).

The queue's storage is a setting (``HUEY_STORAGE``): a SQLite file in the instance folder by
default (nothing to run), Redis or PostgreSQL when several hosts share the work. The queue
holds ids only; the outbox table stays the record of what is owed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from redis import ConnectionPool

from .domain import delivery
from .domain.idempotency import prune_kept_answers
from .domain.outbox import due_messages, init_outbox_dispatch

log = logging.getLogger(__name__)

#: ``app.extensions`` key of the app's ``Worker``.
EXTENSION = "walkin_worker"
#: The most messages one sweep enqueues (the rest wait for the next minute's).
SWEEP_LIMIT = 1_000
#: Seconds to wait for Redis to accept a connection: an enqueue must not hold a request long.
REDIS_CONNECT_TIMEOUT = 2.0
#: Seconds a Redis read may take; longer than the consumer's blocking read (1 s).
REDIS_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class Worker:
    """An app's queue and what runs on it."""

    huey: Huey
    #: ``deliver(message_id)`` enqueues the sending of one message.
    deliver: Any
    #: ``sweep()`` enqueues every due message and returns how many.
    sweep: Callable[[], int]
    #: ``prune()`` deletes the API's expired kept answers and returns how many (each hour).
    prune: Callable[[], int]


def init_worker(app: Flask) -> Worker:
    """Make the app's queue and tasks, and have each commit's messages enqueued."""
    huey = make_huey(app.config["HUEY_STORAGE"], app.config["HUEY_NAME"], app.instance_path)

    @huey.task(name="deliver")
    def deliver(message_id: str) -> None:
        with app.app_context():
            result = delivery.deliver(message_id)
        if result.outcome is delivery.Outcome.RETRY:
            deliver.schedule((message_id,), delay=result.retry_in)

    def sweep() -> int:
        with app.app_context():
            message_ids = due_messages(SWEEP_LIMIT)
        for message_id in message_ids:
            deliver(message_id)
        return len(message_ids)

    @huey.periodic_task(crontab(minute="*"), name="sweep")
    def sweep_every_minute() -> None:
        sweep()

    def dispatch(message_ids: list[str]) -> None:
        for message_id in message_ids:
            deliver(message_id)

    def prune() -> int:
        with app.app_context():
            return prune_kept_answers()

    @huey.periodic_task(crontab(minute="17"), name="prune_kept_answers")
    def prune_every_hour() -> None:
        prune()

    init_outbox_dispatch(app, dispatch)
    worker = Worker(huey=huey, deliver=deliver, sweep=sweep, prune=prune)
    app.extensions[EXTENSION] = worker
    return worker


def worker_of(app: Flask) -> Worker:
    return app.extensions[EXTENSION]


def make_huey(storage: str, name: str, instance_path: str) -> Huey:
    """The queue ``HUEY_STORAGE`` names: empty → a SQLite file in the instance folder;
    ``sqlite:///PATH``; ``redis://...`` (or ``rediss://``, ``unix://``); ``postgresql://...``
    (psycopg 3, tables ``huey_*``: best a database of its own, since the app's migrations do
    not know them); ``memory`` (one process: tests)."""
    storage = storage.strip()
    options: dict[str, Any] = {"results": False}
    if not storage:
        return SqliteHuey(name, filename=str(Path(instance_path) / "huey.sqlite3"), **options)
    if storage.startswith("sqlite:///"):
        return SqliteHuey(name, filename=storage.removeprefix("sqlite:///"), **options)
    if storage.startswith(("redis://", "rediss://", "unix://")):
        pool = ConnectionPool.from_url(
            storage, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_READ_TIMEOUT
        )
        return RedisHuey(name, connection_pool=pool, **options)
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if storage.startswith(prefix):
            # Polled like SQLite (``--poll-seconds``): a blocking read would hold a LISTEN
            # connection per worker thread, which Huey leaves open when the thread ends.
            dsn = "postgresql://" + storage[len(prefix) :]
            return PostgresHuey(name, dsn=dsn, blocking=False, **options)
    if storage == "memory":
        return MemoryHuey(name, **options)
    raise ValueError(f"HUEY_STORAGE: unknown storage {storage.split(':')[0]!r}")


class ReadyConsumer(Consumer):
    """Huey's consumer, which says when it is ready: its threads started and its signal
    handlers set (a SIGTERM before that ends the process at once, with nothing under way)."""

    def start(self) -> None:
        super().start()
        log.info("worker ready: SIGTERM stops it after the sends under way, SIGINT at once")


def run_consumer(app: Flask, *, workers: int, poll_seconds: float, stop_timeout: float) -> None:
    """Run the app's consumer in this process until SIGTERM (finish the sends under way, up
    to ``stop_timeout`` seconds) or SIGINT (stop now; an interrupted send is retried after its
    lease). Sweeps once first."""
    worker = worker_of(app)
    found = worker.sweep()
    log.info("worker started: %d due message(s) enqueued", found)
    consumer = ReadyConsumer(
        worker.huey,
        workers=workers,
        worker_type="thread",
        periodic=True,
        max_delay=poll_seconds,
        graceful_signal="TERM",
        shutdown_timeout=stop_timeout,
    )
    consumer.run()
