"""Bulk, realistic data for benchmarks: partners of very different sizes, clients with names in
several alphabets, missions in every status over two years.

Rows are generated in Python and written in large batches: ``COPY`` on PostgreSQL, executemany
in a few transactions on SQLite. The rows are valid by construction (they are what the domain
rules would store), so the rules are not run a million times.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_security import hash_password
from sqlalchemy import func, insert, select

from ..extensions import database_dialect, db, security
from .models import (
    CancelReason,
    Client,
    ClientSearchKey,
    Mission,
    MissionStatus,
    RoleName,
    ServiceType,
    search_key_rows,
)
from .search_keys import name_key

FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Yusuf", "Amira", "Mateo", "Zoé",
    "Анна", "Иван", "Ольга", "李", "王芳", "美咲", "健太", "محمد", "فاطمة", "Νίκος", "Ελένη",
    "Søren", "Ngô", "Dvořák", "José", "Ángela",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Durand", "Moreau", "Laurent", "Demir", "Yılmaz", "García",
    "Иванова", "Петров", "佐藤", "鈴木", "张", "علي", "Παπαδόπουλος", "Nguyễn", "O'Brien",
    "Müller", "Kowalski", "Rossi", "Silva", "Dupré-Lefèvre",
)  # fmt: skip
CITIES = (
    ("Paris", "France"), ("Lyon", "France"), ("Marseille", "France"), ("Lille", "France"),
    ("Nantes", "France"), ("Bruxelles", "Belgique"), ("Genève", "Suisse"), ("Montréal", "Canada"),
)  # fmt: skip
STATUS_WEIGHTS = (
    (MissionStatus.PENDING, 10),
    (MissionStatus.IN_PROGRESS, 10),
    (MissionStatus.COMPLETED, 65),
    (MissionStatus.CANCELLED, 15),
)
SPAN = timedelta(days=730)
BATCH = 20_000
#: SQLite's page cache while loading (KiB): a million missions' indexes, about 400 MB.
LOAD_CACHE_KIB = 512 * 1024
CLIENT_COLUMNS = (
    "id", "first_name", "last_name", "first_name_key", "last_name_key", "email", "phone",
    "address", "city", "city_key", "postal_code", "country", "created_at", "updated_at",
    "partner_id", "version",
)  # fmt: skip
KEY_COLUMNS = ("client_id", "partner_id", "key")
MISSION_COLUMNS = (
    "id", "client_id", "partner_id", "status", "created_at", "updated_at", "completed_at",
    "version", "service_type_id", "price_amount", "price_currency", "started_at",
    "cancelled_at", "cancel_reason",
)  # fmt: skip
#: (English name, French name, price, minutes, active, share of the missions); the migration's
#: "Walk-in visit" is used if it exists. The inactive type stays on old missions only.
SERVICE_TYPES = (
    ("Walk-in visit", "Visite sans rendez-vous", "0.00", 15, True, 40),
    ("Phone repair", "Réparation de téléphone", "49.90", 60, True, 25),
    ("Account set-up", "Création de compte", "15.00", 20, True, 20),
    ("Data transfer", "Transfert de données", "29.00", 30, True, 10),
    ("Old warranty check", "Ancien contrôle de garantie", "9.50", 10, False, 5),
)
#: Why cancelled missions were cancelled, and how often.
CANCEL_REASON_WEIGHTS = (
    (CancelReason.CLIENT_LEFT, 45),
    (CancelReason.NO_SHOW, 35),
    (CancelReason.DUPLICATE, 10),
    (CancelReason.OTHER, 10),
)


class DatabaseNotEmpty(Exception):
    """The database already holds clients; bench data is only added when told to."""


@dataclass(frozen=True)
class BenchSize:
    partners: int
    clients: int
    missions: int


def partner_weights(count: int) -> list[float]:
    """Zipf-like shares: with 100 partners the busiest holds about 5% of all missions."""
    return [1 / (rank**0.5) for rank in range(1, count + 1)]


def fill(size: BenchSize, *, force: bool = False, seed: int = 1) -> dict[str, Any]:
    """Create the partners, clients and missions; return what was made and the password.

    The dashboard totals are the domain's: callers rebuild them (``tally.recount``)."""
    if not force and db.session.scalar(select(func.count()).select_from(Client)):
        raise DatabaseNotEmpty("the database already holds clients (use --force to add more)")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not security
    password, partner_ids = _create_partners(size.partners)
    now = datetime.now(UTC)
    clients = list(_clients(rng, size.clients, partner_ids, now))
    _write(Client, CLIENT_COLUMNS, clients)
    _write(ClientSearchKey, KEY_COLUMNS, _search_keys(clients))
    services = _service_types()
    _write(Mission, MISSION_COLUMNS, _missions(rng, size.missions, clients, services, now))
    _refresh_statistics()
    return {
        "partners": partner_ids,
        "password": password,
        "busiest": partner_ids[0],
        "service_types": [service.id for service, _ in services],
    }


def _refresh_statistics() -> None:
    """Fresh planner statistics: without them PostgreSQL picks nested loops over a million rows
    (a search measured 12 s before ANALYZE, 0.18 s after). VACUUM also marks the pages
    all-visible, which lets PostgreSQL answer a page's ids from the index alone."""
    statement = "VACUUM ANALYZE" if database_dialect() == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)


def _create_partners(count: int) -> tuple[str, list[int]]:
    password = uuid.uuid4().hex
    hashed = hash_password(password)
    ids = []
    for index in range(count):
        user = security.datastore.create_user(
            email=f"bench-partner-{index:03d}-{uuid.uuid4().hex[:6]}@walkin.example.com",
            password=hashed,
            active=True,
            roles=[RoleName.PARTNER.value],
        )
        db.session.flush()
        ids.append(user.id)
    db.session.commit()
    return password, ids


def _service_types() -> list[tuple[ServiceType, int]]:
    """The bench's catalogue (existing types of the same English name are reused), each with
    its share of the missions."""
    made = []
    for name_en, name_fr, price, minutes, active, share in SERVICE_TYPES:
        service = db.session.scalars(
            select(ServiceType).where(ServiceType.name_en == name_en)
        ).first() or ServiceType(
            name_en=name_en,
            name_fr=name_fr,
            price_amount=Decimal(price),
            price_currency="EUR",
            duration_minutes=minutes,
            active=active,
        )
        db.session.add(service)
        made.append((service, share))
    db.session.commit()
    return made


def _clients(
    rng: random.Random, count: int, partner_ids: list[int], now: datetime
) -> Iterator[tuple[Any, ...]]:
    weights = partner_weights(len(partner_ids))
    owners = rng.choices(partner_ids, weights=weights, k=count)
    for index, partner_id in enumerate(owners):
        created = now - SPAN * rng.random()
        city, country = rng.choice(CITIES)
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            first_name,
            last_name,
            name_key(first_name),
            name_key(last_name),
            f"client{index}@example.com",
            f"+336{rng.randrange(10**8):08d}",
            f"{rng.randrange(1, 200)} rue des Lilas" if rng.random() < 0.6 else None,
            city,
            name_key(city),
            f"{rng.randrange(10000, 99999)}",
            country,
            created,
            created,
            partner_id,
            1,
        )


def _search_keys(clients: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The clients' search keys, as the model writes them (``search_key_rows``)."""
    for client in clients:
        client_id, first, last, email, phone, partner_id = (client[i] for i in (0, 1, 2, 5, 6, 14))
        for row in search_key_rows(client_id, partner_id, first, last, email, phone):
            yield tuple(row[column] for column in KEY_COLUMNS)


def _missions(
    rng: random.Random,
    count: int,
    clients: list[tuple[Any, ...]],
    services: list[tuple[ServiceType, int]],
    now: datetime,
) -> Iterator[tuple[Any, ...]]:
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    kinds = [(s.id, s.price_amount, s.price_currency) for s, _ in services]
    shares = [share for _, share in services]
    reasons, reason_weights = zip(*CANCEL_REASON_WEIGHTS, strict=True)
    for _ in range(count):
        client = rng.choice(clients)
        client_id, client_created, partner_id = client[0], client[12], client[14]
        created = client_created + (now - client_created) * rng.random()
        status = rng.choices(statuses, weights=weights)[0]
        changed = created + (now - created) * rng.random() * 0.1
        service_id, price, currency = rng.choices(kinds, weights=shares)[0]
        # Started somewhere between opening and the last change (or cancelled before).
        started = created + (changed - created) * rng.random()
        cancelled = status is MissionStatus.CANCELLED
        reason = rng.choices(reasons, weights=reason_weights)[0].value if cancelled else None
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            client_id,
            partner_id,
            status.value,
            created,
            changed,
            changed if status is MissionStatus.COMPLETED else None,
            1,
            service_id,
            price,
            currency,
            started if status in (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED) else None,
            changed if cancelled else None,
            reason,
        )


Written = type[Client] | type[ClientSearchKey] | type[Mission]


def _write(model: Written, columns: tuple[str, ...], rows: Any) -> None:
    if database_dialect() == "postgresql":
        _copy(model.__tablename__, columns, rows)
    else:
        _executemany(model, columns, rows)


def _copy(table: str, columns: tuple[str, ...], rows: Any) -> None:
    """PostgreSQL's COPY: the fastest way in, one transaction."""
    connection = db.engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        connection.commit()
    finally:
        connection.close()


def _executemany(model: Written, columns: tuple[str, ...], rows: Any) -> None:
    """SQLite: batches of rows, each in its own transaction, on one connection whose page cache
    holds the indexes being filled (random ids land anywhere in them)."""
    statement = insert(model.__table__)
    with db.engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
        try:
            for batch in _batches(rows, columns):
                connection.execute(statement, batch)
                connection.commit()
        finally:
            connection.exec_driver_sql("PRAGMA cache_size=-2000")


def _batches(rows: Any, columns: tuple[str, ...]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
