"""Search over a corpus of names in several alphabets: for every search, the database (SQLite
or PostgreSQL) returns exactly the clients that a plain Python reference of the rule finds,
through ``matching_clients`` (an admin's and a partner's) and through the clients list.

The rule (README "Search"): every word of a search must start a word of the first or last name
(case, accents and the kind of apostrophe ignored; an apostrophe may also be left out), or
start the email at one of its parts (split at every character that is not a letter or digit);
in Chinese, Japanese and Korean every character starts a word. A search that looks like a
phone matches the phone's start (E.164, the region's trunk 0 read as "+33") or, with 4 digits
or more and no country code, its last digits.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from admin_app.data.models import RoleName, User
from admin_app.domain.search import matching_clients
from admin_app.extensions import db
from tests.conftest import log_in, register_client

#: first name, last name, email, phone (valid numbers, stored as E.164).
CORPUS = (
    ("Hélène", "Dupré-Lefèvre", "helene.dupre@example.fr", "+33612341290"),
    ("Thérèse", "Lefèvre", "t.lefevre@poste.example.fr", "+33145678901"),
    ("Seán", "O'Brien", "sean.obrien@mail.example.ie", "+353851234567"),
    ("Mary", "O’Connor-Smith", "mary_oconnor+shop@example.co.uk", "+442071231290"),
    ("Jean Pierre", "de la Fontaine", "jp-fontaine@example.com", "+33698765432"),
    ("Charles", "d'Artagnan", "charles@gascogne.example.fr", "+33556123456"),
    ("Martin", "Martinez", "m.martinez@example.es", "+34612345678"),
    ("Élodie", "Martin", "elodie@martin-conseil.example.fr", "+33612349876"),
    ("Tin", "Nguyễn", "tin.nguyen@example.vn", "+84912345678"),
    ("Lucía", "García Márquez", "lucia@example.es", "+34698765432"),
    ("Zoë", "Van der Berg", "zoe.vdberg@example.nl", "+31612345678"),
    ("Νίκος", "Παπαδόπουλος", "nikos@example.gr", "+306912345678"),
    ("Ελένη", "Οικονόμου", "eleni.oik@example.gr", "+306987654321"),
    ("Анна", "Иванова-Петрова", "anna@example.ru", "+79161234567"),
    ("Иван", "Петров", "ivan.petrov@example.ru", "+79261231290"),
    ("محمد", "عبد الله", "m.abdallah@example.ae", "+971501234567"),
    ("فاطمة", "الزهراء", "fatima@example.ae", "+971551234567"),
    ("芳", "王", "wang.fang@example.cn", "+8613812345678"),
    ("美咲", "佐藤", "misaki@example.jp", "+819012345678"),
    ("健太", "鈴木", "kenta.suzuki@example.jp", "+819087654321"),
    ("민준", "김", "minjun.kim@example.kr", "+821012345678"),
)

SEARCHES = (
    # Any word of a name, hyphenated, multi-word, with apostrophes, accents and case ignored.
    "Lefèvre", "lefevre", "LEFÈVRE", "lef", "dupre", "Dupré-Lefèvre", "dupre-lef", "helene",
    "o'brien", "O’Brien", "obrien", "brien", "connor", "oconnor", "o'connor-smith", "smith",
    "d'artagnan", "artagnan", "dartagnan", "jean pierre", "pierre", "de la", "fontaine", "la",
    "mart", "martin", "tin", "artin", "ez", "garcia marquez", "marquez", "van der", "berg",
    "zoe", "élodie martin", "helene martin", "nguyen",
    # Greek, Cyrillic, Arabic.
    "νίκος", "νικος", "ΠΑΠΑΔ", "παπαδοπουλος", "οικον", "ελενη", "анна", "петрова",
    "иванова-петрова", "ИВАН", "петров", "محمد", "عبد", "الله", "الزهراء", "فاطمة",
    # Chinese, Japanese, Korean: every character starts a word.
    "芳", "王", "王芳", "佐藤", "藤", "美", "咲", "鈴木", "木", "김", "민준", "준",
    # Any part of an email, from its start.
    "example.fr", "example", "example.co", "co.uk", "uk", "mail.example.ie", "helene.dupre",
    "dupre@example", "@example.fr", "shop", "mary_oconnor", "oconnor+shop", "poste",
    "conseil", "martin-conseil", "gascogne.example", "vdberg", "wang.fang", "kim@", "ample",
    # Phones: the start (E.164, "0" read as +33), or 4 last digits or more.
    "12 90", "1290", "06 12", "+33 6 12", "0044 20 7123", "+44 20", "5432", "98 76",
    "06 12 34 12 90", "123 45 67", "612", "(0)6 12", "+33 (0)6 12",
    # Nothing.
    "%", "a_b", "-", "zzz", "   ",
)  # fmt: skip

APOSTROPHES = "’ʼ‘`"  # noqa: RUF001 - the apostrophes people type
UNSPACED_BLOCKS = ((0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF))
PHONE = re.compile(r"\+?[\d\s().-]+", re.ASCII)
COUNTRY = "+33"  # the tests' PHONE_DEFAULT_REGION is France


def plain(text: str) -> str:
    """Case, accents and the kind of apostrophe dropped."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFC", bare).casefold()
    return "".join("'" if c in APOSTROPHES else c for c in folded)


def unspaced(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in UNSPACED_BLOCKS)


def in_word(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def word_starts(text: str) -> list[int]:
    return [
        index
        for index, char in enumerate(text)
        if char.isalnum() and (index == 0 or not in_word(text[index - 1]) or unspaced(char))
    ]


def word_found_in(word: str, value: str) -> bool:
    wanted = plain(word)
    while wanted and not wanted[0].isalnum():
        wanted = wanted[1:]
    if not wanted:
        return False
    for form in (plain(value), plain(value).replace("'", "")):
        if any(form[start:].startswith(wanted) for start in word_starts(form)):
            return True
    return False


def phone_found(search: str, phone: str) -> bool:
    digits = "".join(c for c in search.replace("(0)", "") if c.isdigit())
    if search.startswith("+"):
        return phone.startswith("+" + digits)
    if digits.startswith("00"):
        return phone.startswith("+" + digits[2:])
    start = COUNTRY + (digits[1:] if digits.startswith("0") else digits)
    last_digits = len(digits) >= 4 and phone.endswith(digits)
    return phone.startswith(start) or last_digits


def reference(search: str, corpus: dict[str, tuple[str, ...]]) -> set[str]:
    """The ids of the clients that ``search`` finds, by the rule as written above."""
    search = search.strip()
    if not search:
        return set()
    ascii_digits = sum(c in "0123456789" for c in search)
    if PHONE.fullmatch(search) and ascii_digits >= 3:
        return {id_ for id_, row in corpus.items() if phone_found(search, row[3])}
    words = search.split()
    return {
        id_
        for id_, (first, last, email, _) in corpus.items()
        if all(any(word_found_in(w, value) for value in (first, last, email)) for w in words)
    }


@pytest.fixture
def corpus(app, make_account) -> tuple[dict[str, tuple[str, ...]], set[str], object, object]:
    """The corpus's clients, alternately of two partners; the first partner's ids."""
    partner, other = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    rows, own = {}, set()
    with app.app_context():
        for index, (first, last, email, phone) in enumerate(CORPUS):
            owner = partner if index % 2 == 0 else other
            client_id, _ = register_client(
                owner.id, first, last_name=last, email=email, phone=phone
            )
            rows[client_id] = (first, last, email, phone)
            if owner is partner:
                own.add(client_id)
    return rows, own, partner, other


def found_by(search: str, user_id: int) -> set[str]:
    return set(db.session.scalars(matching_clients(search, db.session.get_one(User, user_id))))


def names(ids: set[str], corpus: dict[str, tuple[str, ...]]) -> set[str]:
    return {f"{corpus[id_][0]} {corpus[id_][1]}" for id_ in ids}


def test_the_reference_follows_the_examples_of_the_rule(corpus):
    rows, _, _, _ = corpus

    def by_rule(search: str) -> set[str]:
        return names(reference(search, rows), rows)

    assert by_rule("Lefèvre") == {"Hélène Dupré-Lefèvre", "Thérèse Lefèvre"}
    assert by_rule("dupre") == {"Hélène Dupré-Lefèvre"}
    assert by_rule("obrien") == by_rule("O’Brien") == {"Seán O'Brien"}
    assert by_rule("example.fr") == {
        "Hélène Dupré-Lefèvre", "Thérèse Lefèvre", "Charles d'Artagnan", "Élodie Martin",
    }  # fmt: skip
    assert by_rule("poste") == {"Thérèse Lefèvre"}
    assert by_rule("12 90") == {"Hélène Dupré-Lefèvre", "Mary O’Connor-Smith", "Иван Петров"}
    assert by_rule("06 12") == {"Hélène Dupré-Lefèvre", "Élodie Martin"}
    assert by_rule("tin") == {"Tin Nguyễn"} and by_rule("artin") == set()
    assert by_rule("藤") == {"美咲 佐藤"}


def test_every_search_finds_what_the_rule_finds_for_an_admin_and_a_partner(corpus, make_user, ctx):
    rows, own, partner, _ = corpus
    admin = make_user(RoleName.ADMIN)
    wrong = {}
    for search in SEARCHES:
        expected = reference(search, rows)
        for user_id, visible in ((admin.id, set(rows)), (partner.id, own)):
            got = found_by(search, user_id)
            if got != expected & visible:
                wrong[(search, user_id)] = (names(got, rows), names(expected & visible, rows))
    assert wrong == {}
    finding = [search for search in SEARCHES if reference(search, rows)]
    assert len(finding) > 0.75 * len(SEARCHES)  # most searches find someone: not a vacuous test


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_the_clients_list_shows_what_the_rule_finds(client, corpus, make_account):
    rows, _, _, _ = corpus
    log_in(client, make_account(RoleName.ADMIN))
    wrong = {}
    for search in filter(str.strip, SEARCHES):  # a blank search lists every client
        page = client.get("/admin/clients/", query_string={"search": search, "page_size": 50})
        assert page.status_code == 200
        shown = set(UUID.findall(page.get_data(as_text=True))) & set(rows)
        expected = reference(search, rows)
        if shown != expected:
            wrong[search] = (names(shown, rows), names(expected, rows))
    assert wrong == {}
