"""The menu's search box: clients and missions found by name, email, phone or mission id, over
the rows a user may see, in three queries whatever the data size.

- Clients: those ``search.matching_clients`` finds (names, email, phone, through the search
  indexes), newest first.
- Missions: the missions of those clients (``ix_walk_in_mission_client``), and, when the text
  looks like a mission id (8 or more hex digits, hyphens allowed: the whole id or its start),
  the missions whose id starts with it: a range on the primary key, on both databases.

Each group shows its newest ``cap`` rows and counts its rows up to ``COUNT_CAP`` + 1 ("1,000+").
A search that matches many clients (more than ``SEARCH_SCAN_FROM_CLIENTS``) reads its newest rows
through the newest-first indexes instead, testing each row, as the lists do: sorting the 46,000
missions of the clients named Martin cost more than finding the newest ten that way (35–70 ms on
SQLite; 60 and 210 ms on PostgreSQL at a million, whose plan tested each of the newest missions
against all 4,400 Martins).
Rows are scoped only through ``scoping.scope_filter`` (``matching_clients`` scopes the clients).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    func,
    select,
    true,
    union,
)
from sqlalchemy.orm import Mapped, aliased

from ..data.models import Client, Mission, MissionStatus, ServiceType, User
from ..extensions import database_dialect, db
from .scoping import scope_filter
from .search import client_matches, is_broad, matching_clients

#: Rows shown in each group.
SEARCH_BOX_CAP = 10
#: Each group counts up to this many rows and one ("1,000+" beyond).
COUNT_CAP = 1_000
#: Longer text is cut: no name, email, phone or id needs more.
MAX_SEARCH_LENGTH = 100
#: A mission id (a UUID string), whole or its start: hex digits and hyphens.
HEX_ID = re.compile(r"[0-9a-f-]+")
MIN_ID_DIGITS = 8
UUID_DIGITS = 32
#: Where a UUID string has its hyphens, counted in hex digits before each.
UUID_HYPHENS_AFTER = (8, 12, 16, 20)
HEX_DIGITS = "0123456789abcdef"
#: Control characters (NUL among them: PostgreSQL refuses it in text) read as spaces.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: The missions an id search reads, named apart from the statement around them (an alias
#: builds its columns once: made on each search, it cost a tenth of the page).
BY_ID = aliased(Mission, name="mission_by_id")

Hit = TypeVar("Hit")


@dataclass(frozen=True)
class ClientHit:
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    city: str | None
    created_at: datetime


@dataclass(frozen=True)
class MissionHit:
    id: str
    status: MissionStatus
    client_id: str
    client_name: str
    created_at: datetime
    #: The service type's name in English and in French (``None`` for a mission without one).
    service_en: str | None
    service_fr: str | None


CLIENT_COLUMNS = (
    Client.id,
    Client.first_name,
    Client.last_name,
    Client.email,
    Client.phone,
    Client.city,
    Client.created_at,
)
MISSION_COLUMNS = (
    Mission.id,
    Mission.status,
    Mission.client_id,
    (Client.first_name + " " + Client.last_name).label("client_name"),
    Mission.created_at,
    ServiceType.name_en,
    ServiceType.name_fr,
)


@dataclass(frozen=True)
class Group(Generic[Hit]):
    """One type's newest rows and how many there are (``capped``: more than ``COUNT_CAP``)."""

    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    capped: bool = False

    @property
    def more(self) -> bool:
        """Whether the group has rows it does not show."""
        return self.capped or self.total > len(self.hits)


@dataclass(frozen=True)
class SearchResults:
    """What a search found. ``text``: what was searched, after cleaning; ``cut``: whether the
    typed text was longer than ``MAX_SEARCH_LENGTH`` and cut."""

    text: str
    clients: Group[ClientHit] = field(default_factory=Group)
    missions: Group[MissionHit] = field(default_factory=Group)
    cut: bool = False

    @property
    def found_nothing(self) -> bool:
        return not self.clients.total and not self.missions.total


def cleaned_search(raw: str) -> tuple[str, bool]:
    """The text to search (control characters as spaces, runs of spaces as one, at most
    ``MAX_SEARCH_LENGTH`` characters) and whether it had to be cut."""
    text = " ".join(CONTROL.sub(" ", raw).split())
    return text[:MAX_SEARCH_LENGTH].strip(), len(text) > MAX_SEARCH_LENGTH


def mission_id_prefix(text: str) -> str | None:
    """The start of a mission id that ``text`` names, in the ids' own form (lower-case, hyphens
    where a UUID string has them), or ``None`` when ``text`` does not look like one: fewer than
    8 hex digits, more than 32, or another character than a hex digit or a hyphen."""
    text = text.strip().lower()
    if not HEX_ID.fullmatch(text):
        return None
    digits = text.replace("-", "")
    if not MIN_ID_DIGITS <= len(digits) <= UUID_DIGITS:
        return None
    parts, start = [], 0
    for end in (*UUID_HYPHENS_AFTER, UUID_DIGITS):
        if start < len(digits):
            parts.append(digits[start:end])
        start = end
    return "-".join(parts)


def id_starts_with(column: Mapped[str], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix`` (hex digits and hyphens), as a range that the primary
    key's index answers: ``prefix <= id < the next prefix``. The range holds every id that
    starts with ``prefix`` whatever the database's collation (UUID strings have their hyphens
    at the same places, and every collation orders hex digits alike); the test of the id's
    first characters keeps exactly those."""
    range_start = column >= prefix
    following = _next_prefix(prefix)
    in_range = range_start if following is None else and_(range_start, column < following)
    return and_(in_range, func.substr(column, 1, len(prefix)) == prefix)


def _next_prefix(prefix: str) -> str | None:
    """The smallest hex prefix of the same shape after every id starting with ``prefix``
    ("30d6f60f" → "30d6f61"), or ``None`` when there is none ("ffffffff")."""
    kept = prefix.rstrip("f-")
    if not kept:
        return None
    return kept[:-1] + HEX_DIGITS[HEX_DIGITS.index(kept[-1]) + 1]


def search_everything(raw: str, user: User, cap: int = SEARCH_BOX_CAP) -> SearchResults:
    """The clients and missions ``user`` sees that ``raw`` finds, each group newest first:
    three queries (the totals, the clients, the missions), none for empty text."""
    text, cut = cleaned_search(raw)
    if not text:
        return SearchResults(text, cut=cut)
    matching = matching_clients(text, user)
    clients = _client_source(text, matching, user)
    prefix = mission_id_prefix(text)
    missions = _mission_sources(text, matching, prefix, user)
    client_total, mission_total = _totals(matching, missions)
    broad = _broad(text, user, client_total)
    return SearchResults(
        text,
        clients=_group(_client_hits(clients, broad, cap), client_total),
        missions=_group(_mission_hits(missions, broad, cap), mission_total),
        cut=cut,
    )


def _broad(text: str, user: User, client_total: int) -> ColumnElement[bool] | bool:
    """Whether the search matches more than ``SEARCH_SCAN_FROM_CLIENTS`` clients (counted up
    to ``COUNT_CAP`` + 1 on PostgreSQL, so a higher setting never reads the scan). SQLite has
    no statistics to see a broad search coming (``search.py``): its statement is told, in SQL.
    PostgreSQL's planner sees a common word, but not that two common words ("martin lef")
    rarely meet, and walked the whole newest-first index to find none (7 s at a million): the
    totals, read first, tell which way to read."""
    if database_dialect() == "sqlite":
        return is_broad(text, user)
    return client_total > current_app.config["SEARCH_SCAN_FROM_CLIENTS"]


@dataclass(frozen=True)
class Source:
    """The ids of the ``model`` rows found one way (``rows``), and ``scan``: the same rows
    tested one by one in the order of the newest-first index, which reads a broad search's
    newest rows sooner than sorting every match (``search.client_matches``). ``each_client``
    (PostgreSQL) reads ``rows`` client by client instead (``_each_client``)."""

    model: type[Client] | type[Mission]
    rows: Select[tuple[str]]
    scan: Select[tuple[str]] | None = None
    each_client: Callable[[int, bool], Select[tuple[str, datetime]]] | None = None

    def newest(self, cap: int, broad: ColumnElement[bool] | bool) -> list[Select[tuple[str]]]:
        """The ids of the newest ``cap`` rows, read one way or the other. Told in Python
        (PostgreSQL: the totals said), the statement reads one way; told in SQL (SQLite), it
        holds both and the unused one gets ``LIMIT 0``, which SQLite evaluates once, before
        reading any row."""
        if self.scan is None:
            return [self._newest_ids(self.rows, cap)]
        if broad is True:
            return [self._newest_ids(self.scan, cap)]
        if self.each_client is not None:
            rows = self.each_client(cap, True).subquery()
            newest = select(rows.c.id).order_by(rows.c.created_at.desc(), rows.c.id.desc())
            return [select(newest.limit(cap).subquery().c.id)]
        return [
            self._newest_ids(self.rows, case((broad, 0), else_=cap)),
            self._newest_ids(self.scan, case((broad, cap), else_=0)),
        ]

    def counted(self) -> Select[tuple[str]]:
        """The ids of up to ``COUNT_CAP`` + 1 of its rows."""
        if self.each_client is not None:
            counted = self.each_client(COUNT_CAP + 1, False).limit(COUNT_CAP + 1)
            return select(counted.subquery().c.id)
        return select(self.rows.limit(COUNT_CAP + 1).subquery().c.id)

    def _newest_ids(self, rows: Select[tuple[str]], limit: int | ColumnElement[int]) -> Select:
        return select(_newest(rows, self.model).limit(limit).subquery().c.id)


def _each_client(
    model: type[Client] | type[Mission],
    client_id: ColumnElement[str],
    matching: Select[tuple[str]],
    scope: ColumnElement[bool],
) -> Callable[[int, bool], Select[tuple[str, datetime]]] | None:
    """On PostgreSQL, the rows of the matching clients read client by client, the newest
    ``limit`` of each through the client's own index: a ``LATERAL`` subquery with a limit,
    which the planner cannot turn into a join. Joined, it guessed from each word alone how many
    clients match and read every client or every mission to find them ("martin camille": 130 ms
    to count 171 clients' missions, 2 s to find that "martin lef" has none)."""
    if database_dialect() == "sqlite":
        return None

    def rows(limit: int, newest_first: bool) -> Select[tuple[str, datetime]]:
        """Up to ``limit`` rows a client, its newest if ``newest_first`` (a count needs no
        order, and reads them from the index alone)."""
        found = matching.subquery("found")
        own = select(model.id, model.created_at).where(client_id == found.c.id, scope)
        newest = (_newest(own, model) if newest_first else own).limit(limit).lateral("own")
        return select(newest.c.id, newest.c.created_at).join_from(found, newest, true())

    return rows


def _group(hits: list[Hit], total: int) -> Group[Hit]:
    capped = total > COUNT_CAP
    return Group(hits, min(total, COUNT_CAP) if capped else total, capped)


def _client_source(text: str, matching: Select[tuple[str]], user: User) -> Source:
    """The matching clients (``matching``: their ids, read from the search indexes alone) as
    client rows, which the newest-first order needs."""
    scope = scope_filter(Client, user)
    scan = select(Client.id).where(client_matches(text, Client.id), scope)
    # The scope again on the rows: PostgreSQL then reads a shop's newest clients from the shop's
    # own index, not every shop's newest (150 ms for the busiest shop's Martins, rare among all).
    rows = select(Client.id).where(Client.id.in_(matching), scope)
    return Source(Client, rows, scan, _each_client(Client, Client.id, matching, scope))


def _mission_sources(
    text: str, matching: Select[tuple[str]], prefix: str | None, user: User
) -> list[Source]:
    """The missions found: the matching clients' missions, and those whose id starts with
    ``prefix``; each scoped."""
    scope = scope_filter(Mission, user)
    by_client = select(Mission.id).where(Mission.client_id.in_(matching), scope)
    scan = select(Mission.id).where(scope, client_matches(text, Mission.client_id))
    each_client = _each_client(Mission, Mission.client_id, matching, scope)
    sources = [Source(Mission, by_client, scan, each_client)]
    if prefix is not None:
        # The ids in the range first, then their scope: a shop's condition alone would lead
        # SQLite through the shop's index (every mission of the shop) rather than the key.
        in_range = select(BY_ID.id).where(id_starts_with(BY_ID.id, prefix))
        sources.append(Source(Mission, select(Mission.id).where(Mission.id.in_(in_range), scope)))
    return sources


def _newest(query: Select, model: type[Client] | type[Mission]) -> Select:
    return query.order_by(model.created_at.desc(), model.id.desc())


def _totals(matching: Select[tuple[str]], missions: list[Source]) -> tuple[int, int]:
    """Both groups' totals in one query, each counted up to ``COUNT_CAP`` + 1 rows: the
    clients, and the missions of every source (a mission two sources find counts once)."""

    def counted(rows: Select | CompoundSelect) -> ColumnElement[int]:
        return select(func.count()).select_from(rows.subquery()).scalar_subquery()

    found = _either([source.counted() for source in missions])
    row = db.session.execute(select(counted(matching.limit(COUNT_CAP + 1)), counted(found))).one()
    return int(row[0]), int(row[1])


def _client_hits(clients: Source, broad: ColumnElement[bool] | bool, cap: int) -> list[ClientHit]:
    ids = _either(clients.newest(cap, broad))
    rows = db.session.execute(_newest(select(*CLIENT_COLUMNS).where(Client.id.in_(ids)), Client))
    return [ClientHit(*row) for row in rows]


def _either(parts: list[Select[tuple[str]]]) -> Select[tuple[str]] | CompoundSelect:
    """The ids of every part (a row two parts find once)."""
    return union(*parts) if len(parts) > 1 else parts[0]


def _mission_hits(
    missions: list[Source], broad: ColumnElement[bool] | bool, cap: int
) -> list[MissionHit]:
    """The newest ``cap`` missions of every source: each source's newest ``cap`` (read from
    an index in that order), then the newest of those with their clients and service types."""
    found = _either([ids for source in missions for ids in source.newest(cap, broad)])
    query = (
        select(*MISSION_COLUMNS)
        .join(Client, Client.id == Mission.client_id)
        .outerjoin(ServiceType, ServiceType.id == Mission.service_type_id)
        .where(Mission.id.in_(found))
    )
    rows = db.session.execute(_newest(query, Mission).limit(cap))
    return [MissionHit(*row) for row in rows]
