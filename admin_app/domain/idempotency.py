"""Safe retries of the API's writes: a request sent again with the same idempotency key is
applied once, and answered as the first time.

The rules, for the keys of one API key (another API key's keys never meet them):

- "The same request" is the same method, path (with its query) and body: their SHA-256
  (``request_fingerprint``).
- The first request with a key claims it (``claim_key``): an INSERT that the unique (API key,
  idempotency key) constraint decides, so of two sent at once exactly one claims. The claim is
  committed before the request runs, so the other sees it.
- The same key with the same request gets the first answer again once it is kept. While the
  first still runs, the second waits for it, up to ``wait_seconds`` (a client that retried
  after a timeout usually arrives while the first request still runs), then is refused with
  ``IdempotencyKeyInFlight`` (retry shortly): it never runs beside the first.
- The same key with another request is refused (``IdempotencyKeyReused``): a key names one
  request, and nothing is run.
- Which answers are kept (``settle_claim``): every answer under 500, a success and also a
  refusal (4xx: nothing was written, and the same request would be refused the same way). A
  failure of ours (500 and up) releases the claim, so a retry runs afresh: such a failure has
  rolled its transaction back, so there is nothing a retry could write twice. (A failure after
  the write's commit, while its answer is made, is the one case a retry writes again: rare,
  and better than refusing for a day every retry of failures that wrote nothing.)
- A claim that is neither kept nor released within ``CLAIM_LEASE`` (its process died, or the
  database was out of reach when it would have released it) is abandoned: the next request
  with that key and body claims it again.
- Kept answers expire ``KEPT_FOR`` (24 hours) after their claim: the key may then name a new
  request. A claim replaces its own key's expired row at once; the worker deletes every
  expired row each hour (``prune_kept_answers``).

Each step runs on a connection of its own, committed at once, so it holds no lock while the
request runs, and a request whose own transaction failed still settles its claim.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, and_, delete, or_, select, update

from ..data.api_keys import IdempotentRequest
from ..data.db_types import utcnow
from ..extensions import db, dialect_insert
from .errors import IdempotencyKeyInFlight, IdempotencyKeyInvalid, IdempotencyKeyReused

MAX_KEY_LENGTH = 255
#: How long an answer is kept (from its claim).
KEPT_FOR = timedelta(hours=24)
#: How long a claim may stay without its answer before it counts as abandoned: longer than any
#: request may run (the server's own timeout is shorter).
CLAIM_LEASE = timedelta(seconds=60)
#: How often a request waiting for the first one looks again.
POLL_SECONDS = 0.05
#: Answers from this status up are failures of ours: their claim is released, not kept.
SERVER_FAILURE = 500

TABLE = IdempotentRequest.__table__


@dataclass(frozen=True)
class KeptAnswer:
    """An answer as sent: its status, its headers (name, value) and its body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """The right to run the request that claimed the key; ``id`` is its row."""

    id: int


def clean_idempotency_key(raw: str) -> str:
    """The key a client sent, checked: 1 to ``MAX_KEY_LENGTH`` printable ASCII characters
    (a UUID is usual). A key in quotes (the Structured Field form) is the key inside them."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise IdempotencyKeyInvalid(MAX_KEY_LENGTH)
    return key


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What "the same request" means: the method, the path and the body's SHA-256."""
    body_hash = hashlib.sha256(body).hexdigest()
    return hashlib.sha256(f"{method.upper()} {path} {body_hash}".encode()).hexdigest()


def claim_key(
    api_key_id: int, key: str, fingerprint: str, *, wait_seconds: float
) -> Claim | KeptAnswer:
    """Claim ``key`` for the request ``fingerprint`` (run it, then ``settle_claim``), or the
    answer kept for the same request; ``IdempotencyKeyReused`` for another request,
    ``IdempotencyKeyInFlight`` when the first is still running after ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    while (claim_id := _insert_claim(api_key_id, key, fingerprint)) is None:
        row = _settled_row(api_key_id, key, fingerprint, deadline)
        if row is None:
            continue  # released or pruned meanwhile: claim it
        if _stale(row, utcnow()):
            _forget(row.id)
            continue
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        return KeptAnswer(row.status, [tuple(pair) for pair in json.loads(row.headers)], row.body)
    return Claim(claim_id)


def settle_claim(claim: Claim, answer: KeptAnswer) -> None:
    """Keep the answer of the request that claimed the key; release the claim instead when
    the answer is a failure of ours (see the module's rules)."""
    if answer.status >= SERVER_FAILURE:
        release_claim(claim)
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(TABLE)
            .where(TABLE.c.id == claim.id, TABLE.c.status.is_(None))
            .values(status=answer.status, headers=json.dumps(answer.headers), body=answer.body)
        )


def release_claim(claim: Claim) -> None:
    """Give the key up without an answer: the next request with it runs afresh."""
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.id == claim.id, TABLE.c.status.is_(None)))


def prune_kept_answers(now: datetime | None = None) -> int:
    """Delete the answers (and claims) older than ``KEPT_FOR``; return how many."""
    cutoff = (now or utcnow()) - KEPT_FOR
    with db.engine.begin() as connection:
        return connection.execute(delete(TABLE).where(TABLE.c.created_at < cutoff)).rowcount


def _insert_claim(api_key_id: int, key: str, fingerprint: str) -> int | None:
    """The new claim's id, or None when the key already has a row (the constraint decides)."""
    with db.engine.begin() as connection:
        statement = (
            dialect_insert()(TABLE)
            .values(
                api_key_id=api_key_id,
                idempotency_key=key,
                request_hash=fingerprint,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["api_key_id", "idempotency_key"])
            .returning(TABLE.c.id)
        )
        return connection.execute(statement).scalar()


def _settled_row(api_key_id: int, key: str, fingerprint: str, deadline: float) -> Row | None:
    """The key's row once it is no longer the same request running (its answer is kept, it
    is another request's, or it is stale); None when it is gone. Waits until ``deadline``."""
    while True:
        with db.engine.connect() as connection:
            row = _row(connection, api_key_id, key)
        running = row is not None and row.status is None and row.request_hash == fingerprint
        if not running or _stale(row, utcnow()):
            return row
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInFlight(retry_after=1)
        time.sleep(POLL_SECONDS)


def _row(connection: Connection, api_key_id: int, key: str) -> Row | None:
    return connection.execute(
        select(TABLE).where(TABLE.c.api_key_id == api_key_id, TABLE.c.idempotency_key == key)
    ).one_or_none()


def _stale(row: Row, now: datetime) -> bool:
    """Expired, or a claim abandoned without its answer: as if the key had no row."""
    abandoned = row.status is None and row.created_at < now - CLAIM_LEASE
    return abandoned or row.created_at < now - KEPT_FOR


def _forget(row_id: int) -> None:
    """Delete a stale row, if it is still stale (its answer may have been kept meanwhile)."""
    now = utcnow()
    abandoned = and_(TABLE.c.status.is_(None), TABLE.c.created_at < now - CLAIM_LEASE)
    still_stale = or_(abandoned, TABLE.c.created_at < now - KEPT_FOR)
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.id == row_id, still_stale))
