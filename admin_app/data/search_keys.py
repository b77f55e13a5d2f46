"""The form in which search compares names: case-folded, accents removed ("Élodie" → "elodie")."""

from __future__ import annotations

import unicodedata


def name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare).casefold()
