"""Check that every message the panel can show has a French translation.

Three domains (see ``admin_app/platform/i18n.py``): the panel's own (``messages``), Flask-Admin's
(``admin``) and Flask-Security's (``flask_security``). A message is one the panel can show when:

- ours: it is in ``messages.pot`` (everything ``make translations`` extracts);
- Flask-Admin's: its Bootstrap 4 templates and the Python modules the panel runs (model views,
  forms, SQLAlchemy filters) ask for it, or our code does (``admin_gettext``, ``_gettext``);
  the file manager, Redis console and other back ends are left out;
- Flask-Security's: our templates ask for it (``_fsdomain``), one of the forms, two-factor and
  recovery-code modules labels with it, or it is a message it flashes (``SECURITY_MSG_*``,
  its defaults and ours).

French comes from our catalog for ours, and for the libraries from our corrections
(``admin.po``, ``flask_security.po``) over the library's own catalog. An entry of our corrections
that the library no longer uses is reported too (it would silently correct nothing).

Run ``python tools/check_translations.py``: it lists what is missing and exits with 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import flask_admin
import flask_security
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from flask_security.core import _default_messages

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin_app.config import STATIC_SETTINGS, TRANSLATIONS_DIR  # noqa: E402

FRENCH = TRANSLATIONS_DIR / "fr" / "LC_MESSAGES"
ADMIN_PACKAGE = Path(flask_admin.__file__).parent
SECURITY_PACKAGE = Path(flask_security.__file__).parent
ADMIN_TEMPLATES = ADMIN_PACKAGE / "templates" / "bootstrap4" / "admin"
#: Flask-Admin features the panel does not use: their words never reach a page.
ADMIN_UNUSED = ("file", "rediscli", "upload.py", "fileadmin", "geoa", "mongoengine", "peewee")
ADMIN_PYTHON = ("*.py", "model/*.py", "form/*.py", "contrib/sqla/*.py")
SECURITY_PYTHON = ("forms.py", "twofactor.py", "tf_plugin.py", "recovery_codes.py")
OUR_PYTHON = ("admin_app/**/*.py",)
OUR_TEMPLATES = ("templates/**/*.html",)

MsgId = str | tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """Files to extract messages from, how, and the names their translation calls go by."""

    folder: Path
    patterns: tuple[str, ...]
    method: str
    keywords: dict[str, object]

    def files(self) -> Iterator[Path]:
        for pattern in self.patterns:
            for path in sorted(self.folder.glob(pattern)):
                if not any(part in ADMIN_UNUSED for part in path.relative_to(self.folder).parts):
                    yield path


GETTEXT = {"gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "_": None}
ADMIN_SOURCES = (
    Source(ADMIN_TEMPLATES, ("**/*.html",), "jinja2", {"_gettext": None, "_ngettext": (1, 2)}),
    Source(ADMIN_PACKAGE, ADMIN_PYTHON, "python", GETTEXT),
    Source(ROOT, OUR_PYTHON, "python", {"admin_gettext": None}),
    Source(ROOT, OUR_TEMPLATES, "jinja2", {"_gettext": None, "_ngettext": (1, 2)}),
)
SECURITY_SOURCES = (
    Source(SECURITY_PACKAGE, SECURITY_PYTHON, "python", {"_": None}),
    Source(ROOT, OUR_TEMPLATES, "jinja2", {"_fsdomain": None}),
)


def extracted(sources: Iterable[Source]) -> set[MsgId]:
    found: set[MsgId] = set()
    for source in sources:
        for path in source.files():
            with open(path, "rb") as handle:
                for _line, message, _comments, _context in extract(
                    source.method, handle, keywords=source.keywords
                ):
                    found.add(message if isinstance(message, str) else tuple(message))
    return found


def security_messages() -> set[MsgId]:
    """Every message Flask-Security flashes or shows, with our replacements of its defaults."""
    texts = {key: text for key, (text, _category) in _default_messages.items()}
    for name, value in STATIC_SETTINGS.items():
        if name.startswith("SECURITY_MSG_"):
            texts[name.removeprefix("SECURITY_MSG_")] = value[0]
    return set(texts.values())


@cache
def used_messages(domain: str) -> frozenset[MsgId]:
    if domain == "admin":
        return frozenset(extracted(ADMIN_SOURCES))
    if domain == "flask_security":
        return frozenset(extracted(SECURITY_SOURCES) | security_messages())
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as handle:
        return frozenset(key(message) for message in read_po(handle) if message.id)


def key(message) -> MsgId:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def read_catalog(path: Path) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale="fr")


def library_catalog(domain: str) -> Catalog | None:
    if domain == "admin":
        return read_catalog(ADMIN_PACKAGE / "translations" / "fr" / "LC_MESSAGES" / "admin.po")
    if domain == "flask_security":
        folder = SECURITY_PACKAGE / "translations" / "fr_FR" / "LC_MESSAGES"
        return read_catalog(folder / "flask_security.po")
    return None


def translations(catalog: Catalog | None) -> dict[MsgId, tuple[str, ...]]:
    """Each translated entry's French (plural forms in order); untranslated and fuzzy ones
    are left out, as the compiled catalog leaves them out."""
    found = {}
    for message in catalog or ():
        strings = (
            tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)
        )
        if message.id and not message.fuzzy and all(strings):
            found[key(message)] = strings
    return found


@cache
def french(domain: str) -> dict[MsgId, tuple[str, ...]]:
    """The French the panel shows for ``domain``: ours over the library's."""
    merged = translations(library_catalog(domain))
    merged.update(translations(read_catalog(FRENCH / f"{domain}.po")))
    return merged


DOMAINS = ("messages", "admin", "flask_security")


def problems() -> list[str]:
    """What is missing or stale, one line each; empty when every message has French."""
    found = []
    for domain in DOMAINS:
        found += missing(domain, used_messages(domain), french(domain))
        if domain != "messages":
            found += stale(domain, read_catalog(FRENCH / f"{domain}.po"), used_messages(domain))
    return found


def missing(domain: str, used: Iterable[MsgId], known: dict[MsgId, tuple[str, ...]]) -> list[str]:
    return [
        f"{domain}: no French for {message!r}"
        for message in sorted(set(used) - known.keys(), key=str)
    ]


def stale(domain: str, corrections: Catalog, used: Iterable[MsgId]) -> list[str]:
    """Corrections the library no longer asks for, or that say nothing."""
    used = set(used)
    found = []
    for message in corrections:
        if not message.id:
            continue
        if key(message) not in used:
            found.append(f"{domain}.po: {key(message)!r} is not used by the panel")
        elif key(message) not in translations([message]):
            found.append(f"{domain}.po: {key(message)!r} has no French")
    return found


def english_words() -> dict[str, str]:
    """Each message the panel can show whose French differs from its English, singular and
    plural forms alike: English text on a French page is one of these (placeholders left in)."""
    words = {}
    for domain in DOMAINS:
        known = french(domain)
        for message in used_messages(domain):
            forms = (message,) if isinstance(message, str) else message
            translated = known.get(message, forms)
            for english, french_form in zip(forms, translated, strict=False):
                if french_form != english:
                    words[english] = french_form
    return words


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)" if found else "Every message the panel can show has French.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
