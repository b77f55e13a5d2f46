"""Likely duplicates of a client being registered, among one partner's clients.

A client already held is a likely duplicate when it has the same phone (in the E.164 form
registration stores), the same email (stored lower-cased, so compared case-insensitively), or
the same city and the same name keys (accents and case ignored, ``name_key``) with at most one
typo across first and last name. Every comparison reads an index prefixed by the partner: the
phone and email are equalities; for the names, one name key must match exactly (a single typo
leaves the other intact), which bounds the candidates read from a partner + city + names index,
and the typo-tolerant comparison (``rapidfuzz``) runs on those few rows only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Select, select, union_all

from ..data.models import Client, User
from ..data.search_keys import name_key
from ..extensions import db
from .scoping import checked_partner, scope_filter
from .validation import (
    MAX_LENGTHS,
    FieldError,
    canonical_phone,
    configured_phone_region,
    email_address,
    single_line_text,
)

#: What the form shows at most.
MAX_CANDIDATES = 5
#: Rows read per name arm (same partner, city and one name key): the typo check's bound.
MAX_NAME_CANDIDATES = 200
#: The form fields the check reads.
PROBE_FIELDS = ("first_name", "last_name", "email", "phone", "city")


@dataclass(frozen=True)
class Probe:
    """The typed values in the form the table holds them; ``None`` where unusable."""

    phone: str | None
    email: str | None
    first_name_key: str | None
    last_name_key: str | None
    city_key: str | None

    @classmethod
    def of(cls, fields: Mapping[str, object], phone_region: str | None) -> Probe:
        text = {name: _text(fields.get(name), MAX_LENGTHS[name]) for name in PROBE_FIELDS}
        return cls(
            phone=_or_none(canonical_phone, text["phone"], phone_region),
            email=_or_none(email_address, text["email"]),
            first_name_key=name_key(text["first_name"]) or None,
            last_name_key=name_key(text["last_name"]) or None,
            city_key=name_key(text["city"]) or None,
        )


@dataclass(frozen=True)
class Duplicate:
    client: Client
    #: Why it was found: ``phone``, ``email`` and/or ``name``.
    reasons: tuple[str, ...]


def likely_duplicates(
    user: User, fields: Mapping[str, object], partner_id: int | None = None
) -> list[Duplicate]:
    """At most ``MAX_CANDIDATES`` clients of one partner that ``fields`` may describe again.

    The partner is the user's own for a partner; users who see every partner name it
    (``partner_id``) and get nothing until they do. Strong matches (phone, email) come first.
    """
    owner = checked_partner(user, partner_id)
    if owner is None:
        return []
    probe = Probe.of(fields, configured_phone_region())
    mine = select(Client.id).where(Client.partner_id == owner, scope_filter(Client, user))
    reasons: dict[str, list[str]] = {}
    if probe.phone:
        _note(reasons, _ids(mine.where(Client.phone == probe.phone)), "phone")
    if probe.email:
        _note(reasons, _ids(mine.where(Client.email == probe.email)), "email")
    if probe.first_name_key and probe.last_name_key and probe.city_key:
        names = (probe.first_name_key, probe.last_name_key)
        _note(reasons, similar_names(owner, user, names, probe.city_key), "name")
    chosen = list(reasons)[:MAX_CANDIDATES]
    if not chosen:
        return []
    rows = {row.id: row for row in db.session.scalars(select(Client).where(Client.id.in_(chosen)))}
    return [Duplicate(rows[id_], tuple(reasons[id_])) for id_ in chosen if id_ in rows]


def similar_names(owner: int, user: User, names: tuple[str, str], city_key: str) -> list[str]:
    """Ids of the partner's clients in the city whose name keys are ``names`` (first, last)
    with at most one typo, closest first: one query over two bounded index ranges."""
    first, last = names
    keys = (Client.id, Client.first_name_key, Client.last_name_key)
    in_city = select(*keys).where(
        Client.partner_id == owner, Client.city_key == city_key, scope_filter(Client, user)
    )
    arms = (
        in_city.where(Client.last_name_key == last),
        in_city.where(Client.first_name_key == first),
    )
    rows = db.session.execute(_union_of_bounded(arms)).all()
    wanted = f"{first} {last}"
    distances = {
        id_: Levenshtein.distance(wanted, f"{first} {last}", score_cutoff=1)
        for id_, first, last in rows
    }
    close = [id_ for id_, distance in distances.items() if distance <= 1]
    return sorted(close, key=distances.__getitem__)


def _union_of_bounded(arms: Iterable[Select]) -> Select:
    """Each arm limited on its own (SQLite takes a LIMIT in a UNION only inside a subquery)."""
    subqueries = [arm.limit(MAX_NAME_CANDIDATES).subquery() for arm in arms]
    return union_all(*(select(*subquery.c) for subquery in subqueries))  # type: ignore[return-value]


def _ids(query: Select) -> list[str]:
    return list(db.session.scalars(query.limit(MAX_CANDIDATES)))


def _note(reasons: dict[str, list[str]], ids: Iterable[str], reason: str) -> None:
    for id_ in ids:
        reasons.setdefault(id_, []).append(reason)


def _text(raw: object, max_length: int) -> str:
    """The field as validation reads it; empty when it could never be valid."""
    try:
        text = single_line_text(raw)
    except FieldError:
        return ""
    return text if len(text) <= max_length else ""


def _or_none(clean: Callable[..., str], text: str, *args: object) -> str | None:
    if not text:
        return None
    try:
        return clean(text, *args)
    except FieldError:
        return None
