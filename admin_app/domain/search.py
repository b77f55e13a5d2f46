"""Client search that an index answers, on both databases.

Each word of a search must match the client's first name, last name, email or phone. Names are
compared in their ``name_key`` form (case and accents ignored); a search that looks like a phone
number ("06 12 34", "+33 6 12") is one phone word, read in the configured region.

- PostgreSQL: a word matches anywhere in the value (``LIKE '%word%'``), answered by pg_trgm GIN
  indexes on the four columns. A word under three characters has no trigram to look up, so it
  reads the whole index: still correct, slower.
- SQLite: a word matches the start of the value (a range on the B-tree indexes of the same
  columns), because SQLite has no index for ``LIKE '%word%'``: "mar" finds "Martin", "tin"
  does not.

A list can read a search's rows two ways: its matching clients first, through these indexes,
then their rows sorted (cost grows with the matches), or its own order index, testing each row
(``client_matches``: cost grows with how rare the matches are). PostgreSQL's planner chooses
from its statistics; SQLite's has none on ranges, so ``is_broad`` tells it (``listing.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from ..data.models import Client, User
from ..data.plan_hints import Unindexed
from ..data.search_keys import name_key
from ..extensions import database_dialect
from .scoping import scope_filter
from .validation import configured_phone_region

PHONE_LIKE = re.compile(r"\+?[\d\s().-]+", re.ASCII)
#: "+33 (0)6 12": the national trunk 0 written after a country code is not dialled.
TRUNK_ZERO = re.compile(r"\(0\)")
MIN_PHONE_DIGITS = 3
MAX_WORDS = 8
#: Above every character: ``key <= value < key + AFTER_ALL`` is "value starts with key".
AFTER_ALL = "\U0010ffff"
#: The client a row names, looked up by ``client_matches`` (an alias builds its columns once:
#: made per request, it would cost more than the query).
LOOKED_UP_CLIENT = aliased(Client, name="looked_up_client")
#: A client's column by name, as a search reads it.
ColumnReader = Callable[[str], ColumnElement[str]]


def client_search(text: str, client: Any = Client, indexed: bool = True) -> ColumnElement[bool]:
    """The condition on ``client`` rows (``Client`` or an alias of it) that match every word of
    ``text``; unless ``indexed``, no search index may answer it (``plan_hints.Unindexed``)."""
    text = text.strip()
    if not text:
        return false()
    prefix_only = database_dialect() != "postgresql"
    column = _column_reader(client, indexed)
    if is_phone_like(text):
        return _phone_match(column, phone_fragment(text), prefix_only)
    words = text.split()[:MAX_WORDS]
    return and_(*(_word_match(column, word, prefix_only) for word in words))


def client_matches(text: str, client_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether the client named by ``client_id`` matches ``text``, tested row by row: no search
    index drives it, so the list's order index does. A client row tests its own columns; any
    other row looks its client up by primary key."""
    if client_id is Client.id:
        return client_search(text, Client, indexed=False)
    client = LOOKED_UP_CLIENT
    return exists().where(client.id == client_id, client_search(text, client))


def _column_reader(client: Any, indexed: bool) -> ColumnReader:
    if indexed:
        return lambda name: getattr(client, name)
    return lambda name: Unindexed(getattr(client, name))


def is_broad(text: str, user: User) -> ColumnElement[bool]:
    """Whether more than ``SEARCH_SCAN_FROM_CLIENTS`` of the clients ``user`` sees match
    ``text`` (counted up to that many and one): SQL, evaluated once by the statement using it."""
    threshold = current_app.config["SEARCH_SCAN_FROM_CLIENTS"]
    capped = matching_clients(text, user).limit(threshold + 1).subquery()
    return select(func.count()).select_from(capped).scalar_subquery() > threshold


def has_too_many_words(text: str) -> bool:
    """Only the first ``MAX_WORDS`` words are searched (SQLite refuses a condition of thousands
    of terms, and no name needs more)."""
    return not is_phone_like(text.strip()) and len(text.split()) > MAX_WORDS


def matching_clients(text: str, user: User) -> Select[tuple[str]]:
    """The ids of the clients ``user`` sees that match ``text``."""
    return select(Client.id).where(client_search(text), scope_filter(Client, user))


def is_phone_like(text: str) -> bool:
    digits = sum(char in "0123456789" for char in text)
    return bool(PHONE_LIKE.fullmatch(text)) and digits >= MIN_PHONE_DIGITS


def phone_fragment(text: str) -> str:
    """Phones are stored as E.164 ("+33612345678"): "06 12" becomes "+33612", "0044 20"
    "+4420", "+33 6" "+336"; bare digits that start with no 0 ("612") stay as they are."""
    digits = re.sub(r"[^0-9]", "", TRUNK_ZERO.sub("", text))
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return f"+{_country_code()}{digits[1:]}"
    return digits


def _phone_match(column: ColumnReader, fragment: str, prefix_only: bool) -> ColumnElement[bool]:
    if not prefix_only:
        return _contains(column("phone"), fragment)
    if not fragment.startswith("+"):
        fragment = f"+{_country_code()}{fragment}"
    return _starts_with(column("phone"), fragment)


def _word_match(column: ColumnReader, word: str, prefix_only: bool) -> ColumnElement[bool]:
    key = name_key(word)
    match = _starts_with if prefix_only else _contains
    return or_(
        match(column("first_name_key"), key),
        match(column("last_name_key"), key),
        match(column("email"), word.casefold()),
    )


def _starts_with(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    return and_(column >= prefix, column < prefix + AFTER_ALL)


def _contains(column: ColumnElement[str], fragment: str) -> ColumnElement[bool]:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def _country_code() -> int:
    return phonenumbers.country_code_for_region(configured_phone_region() or "FR")
