"""The forms in which search compares values.

``name_key``: case-folded, accents removed ("Élodie" → "elodie"), for names and cities.

``client_search_keys``: what a client is found by (``client_search_key`` rows, ``search.py``).
A search word matches a client when it starts one of these keys:

- each *tail* of a first or last name from the start of one of its words ("Dupré-Lefèvre":
  "dupre-lefevre" and "lefevre"; "O'Brien": "o'brien", "brien", and "obrien" without the
  apostrophe); in Chinese, Japanese and Korean, which have no spaces, every character starts a
  word (so any part of such a name matches);
- each tail of the email from the start of one of its parts ("x@example.fr": "x@example.fr",
  "example.fr" and "fr"; parts are split at every character that is not a letter or digit);
- the phone as stored (E.164, "+33612345678") and ``#`` followed by its digits reversed
  ("#87654321633"), so that a phone's last digits are the start of a key too.

Tails start with a letter or digit, phone keys with ``+`` or ``#``: a word never matches a
phone key by accident, nor a phone search a name.
"""

from __future__ import annotations

import re
import unicodedata

#: Typed for an apostrophe (typewriter, typographic, modifier letter): stored as ``'``.
APOSTROPHES = re.compile("[\u2019\u02bc\u2018`]")
#: Scripts written without spaces between words: every character starts a word.
UNSPACED = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f]"
)
#: The first character of a reversed-digits phone key.
REVERSED_PHONE = "#"


def name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare).casefold()


def search_key(text: str) -> str:
    """``name_key`` with every kind of apostrophe written ``'``: how a search word and the
    values it is compared with are both written."""
    return APOSTROPHES.sub("'", name_key(text))


def is_word_character(char: str) -> bool:
    """Letters and digits of any script, and the marks that some scripts write inside words."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def starts_a_word(text: str, index: int) -> bool:
    char = text[index]
    if not char.isalnum():
        return False
    return index == 0 or not is_word_character(text[index - 1]) or bool(UNSPACED.match(char))


def word_tails(text: str) -> set[str]:
    """``text`` (in ``search_key`` form) from the start of each of its words, with and without
    its apostrophes."""
    tails = set()
    for form in {text, text.replace("'", "")}:
        tails.update(form[i:] for i in range(len(form)) if starts_a_word(form, i))
    return tails


def phone_keys(phone: str) -> set[str]:
    digits = re.sub(r"[^0-9]", "", phone)
    return {phone, REVERSED_PHONE + digits[::-1]} if digits else set()


def client_search_keys(first_name: str, last_name: str, email: str, phone: str) -> set[str]:
    """Every key a client with these values is found by (see the module's docstring)."""
    keys = set()
    for value in (first_name, last_name, email):
        keys |= word_tails(search_key(value or ""))
    return keys | phone_keys(phone or "")
