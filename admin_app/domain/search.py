"""Client search that an index answers, the same rows on both databases.

Each word of a search must match (all of them: "alice martin"). A word matches a client when it
starts one of the client's search keys (``data/search_keys.py``, ``client_search_key`` rows kept
by the model): the start of any word of its first or last name ("lefèvre" and "dupre-lef" find
"Dupré-Lefèvre"; case, accents and the kind of apostrophe ignored), the start of any part of its
email split at every character that is not a letter or digit ("example.fr" and "example" find
"x@example.fr"). A search that looks like a phone number ("06 12 34", "+33 6 12", "12 90") is
one phone word, read in the configured region: it matches the start of the phone (E.164,
"06 12" → "+33612") or, with 4 digits or more and no country code, its last digits ("12 90"
finds a phone ending in 1290: the key of its digits reversed starts with "0921").

A word is a range on a B-tree of keys (``key >= 'mar' AND key < 'mar' || U+10FFFF``) on both
databases: one rule and one index, so SQLite and PostgreSQL return the same rows. (pg_trgm
matched inside words on PostgreSQL: "tin" found "Martin" there and not on SQLite.)

A list can read a search's rows two ways: its matching clients first, through the keys, then
their rows sorted (cost grows with the matches), or its own order index, testing each row
(``client_matches``: one primary-key lookup of the keys a row and word; cost grows with how rare
the matches are). PostgreSQL's planner chooses from its statistics; SQLite's has none on
ranges, so ``is_broad`` tells it (``listing.py``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import phonenumbers
from flask import current_app
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    exists,
    false,
    func,
    intersect,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Query, aliased

from ..data.models import Client, ClientSearchKey, User
from ..data.plan_hints import LeftFirstJoin
from ..data.search_keys import REVERSED_PHONE, search_key
from ..extensions import database_dialect
from .scoping import scope_filter
from .validation import configured_phone_region

PHONE_LIKE = re.compile(r"\+?[\d\s().-]+", re.ASCII)
#: "+33 (0)6 12": the national trunk 0 written after a country code is not dialled.
TRUNK_ZERO = re.compile(r"\(0\)")
MIN_PHONE_DIGITS = 3
#: Fewer last digits would match thousands of phones: "12 90" is a search, "290" is not.
MIN_LAST_DIGITS = 4
MAX_WORDS = 8
#: Above every character: ``key <= value < key + AFTER_ALL`` is "value starts with key".
AFTER_ALL = "\U0010ffff"
KEY = ClientSearchKey
#: The keys as a subquery reads them: named apart from the statement around it, which may read
#: the keys too (aliases build their columns once: made per request, they would cost more).
WORD_KEY = aliased(ClientSearchKey, name="word_key")
#: The keys as a row's test looks them up (``client_matches``).
LOOKED_UP_KEY = aliased(ClientSearchKey, name="looked_up_key")

Narrowed = TypeVar("Narrowed", Select[Any], Query[Any])


def client_search(
    text: str, client: Any = Client, indexed: bool = True, user: User | None = None
) -> ColumnElement[bool]:
    """The condition on ``client`` rows (``Client`` or an alias of it) that match every word of
    ``text``: their ids come from the keys' index (of ``user``'s partner only, when given);
    unless ``indexed``, each row's keys are looked up instead (``client_matches``)."""
    if not indexed:
        return client_matches(text, client.id)
    return client_id_in(text, client.id, user)


def rows_of_matching_clients(
    query: Narrowed, model: Any, client_id: ColumnElement[str], text: str, user: User
) -> Narrowed:
    """``query`` (of ``model`` rows, already scoped) narrowed to the rows whose client
    (``client_id``) ``user`` sees and matches ``text``: how every list searches. An ORM
    ``Query`` must come with its assertions off (it is given a FROM after its WHERE).

    On SQLite the matching clients are joined first (``CROSS JOIN``): a count stops at its
    1,001st row, where ``IN (…)`` would list every matching client first. PostgreSQL gets a
    semi-join on the keys themselves (``client_id_in``) to plan from its statistics: joined to
    the distinct matching clients (a subquery it cannot look into), it read every mission to
    find the newest matches (400 ms at a million)."""
    if database_dialect() != "sqlite":
        return query.where(client_id_in(text, client_id, user))
    found = matching_clients(text, user).subquery("searched_client")
    return query.select_from(LeftFirstJoin(found, model, found.c.id == client_id))


def client_id_in(
    text: str, client_id: ColumnElement[str], user: User | None = None
) -> ColumnElement[bool]:
    """``client_id`` (a client's id, or a mission's client) is among each word's clients: one
    ``IN (SELECT client_id FROM client_search_key WHERE …)`` a word. PostgreSQL turns each into
    a semi-join that it may read from the keys' ranges or, for a common word, row by row through
    the keys' primary key in the list's order; SQLite lists each word's clients once."""
    words = search_words(text)
    if not words:
        return false()
    return and_(*(client_id.in_(_keys_starting(prefixes, user)) for prefixes in words))


def client_matches(text: str, client_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether the client named by ``client_id`` (a client's id, or a mission's client) matches
    ``text``, tested row by row through the keys' primary key (client, key): no search index
    drives it, so the list's order index does."""
    words = search_words(text)
    if not words:
        return false()
    key = LOOKED_UP_KEY
    tests = (exists().where(key.client_id == client_id, _starting(key, p)) for p in words)
    return and_(*tests)


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
    """The ids (column ``id``) of the clients ``user`` sees that match ``text``, read from the
    keys alone."""
    words = search_words(text)
    if not words:
        return select(KEY.client_id.label("id")).where(false())
    ids = _matching_ids(words, user)
    if isinstance(ids, Select):
        return ids
    return select(ids.subquery("matching").c.id)


def search_words(text: str) -> list[tuple[str, ...]]:
    """Each word of ``text`` as the key prefixes it may start (any one of them): a name or email
    word has one, a phone search two (its start, its last digits). A word that cannot start
    any key (only punctuation: "%") has none, and the search then matches nothing."""
    text = text.strip()
    if not text:
        return []
    if is_phone_like(text):
        return [phone_prefixes(text)]
    return [word_prefixes(word) for word in text.split()[:MAX_WORDS]]


def word_prefixes(word: str) -> tuple[str, ...]:
    """Keys start with a letter or digit: so does the prefix ("@example.fr" → "example.fr")."""
    key = search_key(word)
    start = next((index for index, char in enumerate(key) if char.isalnum()), None)
    return () if start is None else (key[start:],)


def phone_prefixes(text: str) -> tuple[str, ...]:
    """The phone's start in E.164 and, for 4 digits or more typed without a country code, its
    last digits (reversed, as the key holds them)."""
    fragment = phone_fragment(text)
    if fragment.startswith("+"):
        return (fragment,)
    start = f"+{_country_code()}{fragment}"
    digits = re.sub(r"[^0-9]", "", TRUNK_ZERO.sub("", text))
    if len(digits) < MIN_LAST_DIGITS:
        return (start,)
    return (start, REVERSED_PHONE + digits[::-1])


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


def _matching_ids(
    words: list[tuple[str, ...]], user: User | None
) -> Select[tuple[str]] | CompoundSelect:
    """The clients whose keys match every word (of ``user``'s scope, when given). One word:
    its range, each client once (read in order, so a LIMIT stops it early). Several: the
    INTERSECT of each word's clients, whose cost is the sum of their matches whatever word is
    the rarest; SQLite's planner, with no statistics on ranges, would otherwise read the
    clients of one word and look up the keys of each for another, even when that word is "a"
    and the other finds nobody."""
    each = [_keys_starting(prefixes, user) for prefixes in words]
    return each[0].distinct() if len(each) == 1 else intersect(*each)


def _keys_starting(prefixes: tuple[str, ...], user: User | None) -> Select[tuple[str]]:
    """The clients with a key starting with one of ``prefixes`` (of ``user``'s scope)."""
    key = WORD_KEY
    scope = true() if user is None else scope_filter(key, user)
    return select(key.client_id.label("id")).where(_starting(key, prefixes), scope)


def _starting(key: Any, prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    """``key`` (the table or an alias) starts with one of ``prefixes``: a range each."""
    if not prefixes:
        return false()
    return or_(*(and_(key.key >= prefix, key.key < prefix + AFTER_ALL) for prefix in prefixes))


def _country_code() -> int:
    return phonenumbers.country_code_for_region(configured_phone_region() or "FR")
