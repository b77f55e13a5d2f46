"""Likely duplicates of a client being registered, among one partner's clients.

A client already held is a likely duplicate when it has the same phone (in the E.164 form
registration stores), the same email (stored lower-cased, so compared case-insensitively), or
the same city and the same name keys (accents and case ignored, ``name_key``) with at most one
typo across first and last name. Every comparison reads an index prefixed by the partner: the
phone and email are equalities; for the names, one name key must match exactly (a single typo
leaves the other intact), which bounds the candidates read from a partner + city + names index,
and the typo-tolerant comparison (``rapidfuzz``) runs on those few rows only. All comparisons are
one statement, so the check costs two queries whatever it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Row, Select, literal_column, select, union_all

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
#: Why a client was found, strongest first.
REASONS = ("phone", "email", "name")
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
    """At most ``MAX_CANDIDATES`` clients of one partner that ``fields`` may describe again,
    in two queries: the comparisons in one statement, then the chosen clients' rows.

    The partner is the user's own for a partner; users who see every partner name it
    (``partner_id``) and get nothing until they do. Strong matches (phone, email) come first.
    """
    owner = checked_partner(user, partner_id)
    if owner is None:
        return []
    probe = Probe.of(fields, configured_phone_region())
    arms = comparisons(owner, user, probe)
    if not arms:
        return []
    found = _reasons(db.session.execute(_union_of_bounded(arms)).all(), probe)
    chosen = list(found)[:MAX_CANDIDATES]
    if not chosen:
        return []
    rows = {row.id: row for row in db.session.scalars(select(Client).where(Client.id.in_(chosen)))}
    return [Duplicate(rows[id_], tuple(found[id_])) for id_ in chosen if id_ in rows]


def comparisons(owner: int, user: User, probe: Probe) -> list[Select]:
    """One bounded index range a comparison: (id, reason, first and last name keys) rows.

    A name with one typo keeps the other name intact, so the names are two ranges of one
    partner's clients in the city, each with one name key exactly; the typo check runs on
    their rows (``_reasons``)."""

    def mine(reason: str) -> Select:
        keys = (Client.id, literal_column(f"'{reason}'").label("reason"),
                Client.first_name_key, Client.last_name_key)  # fmt: skip
        return select(*keys).where(Client.partner_id == owner, scope_filter(Client, user))

    arms = []
    if probe.phone:
        arms.append(mine("phone").where(Client.phone == probe.phone).limit(MAX_CANDIDATES))
    if probe.email:
        arms.append(mine("email").where(Client.email == probe.email).limit(MAX_CANDIDATES))
    if probe.first_name_key and probe.last_name_key and probe.city_key:
        in_city = mine("name").where(Client.city_key == probe.city_key)
        arms += [
            in_city.where(Client.last_name_key == probe.last_name_key).limit(MAX_NAME_CANDIDATES),
            in_city.where(Client.first_name_key == probe.first_name_key).limit(MAX_NAME_CANDIDATES),
        ]
    return arms


def _reasons(rows: Iterable[Row], probe: Probe) -> dict[str, list[str]]:
    """Each candidate's reasons, candidates ordered by their strongest reason (phone, email,
    then names by distance); name rows more than one typo away are dropped."""
    wanted = f"{probe.first_name_key} {probe.last_name_key}"
    reasons: dict[str, set[str]] = {}
    distance: dict[str, int] = {}
    for id_, reason, first_key, last_key in rows:
        if reason == "name":
            typos = Levenshtein.distance(wanted, f"{first_key} {last_key}", score_cutoff=1)
            if typos > 1:
                continue
            distance[id_] = typos
        reasons.setdefault(id_, set()).add(reason)

    def rank(id_: str) -> tuple[int, int]:
        return min(REASONS.index(reason) for reason in reasons[id_]), distance.get(id_, 0)

    return {id_: sorted(reasons[id_], key=REASONS.index) for id_ in sorted(reasons, key=rank)}


def _union_of_bounded(arms: list[Select]) -> Select:
    """Each arm limited on its own (SQLite takes a LIMIT in a UNION only inside a subquery)."""
    if len(arms) == 1:
        return arms[0]
    subqueries = [arm.subquery() for arm in arms]
    return union_all(*(select(*subquery.c) for subquery in subqueries))  # type: ignore[return-value]


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
