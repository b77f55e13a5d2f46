"""Templates copied from Flask-Admin (rather than extended) differ from the installed ones only
by the lines changed on purpose, stored as a diff beside this file: a new Flask-Admin whose
template changed, or an edit of a copy, fails here until the copy is brought up to date and
the diff stored again (``python -m tests.test_copied_templates`` rewrites them all; review it).

A template of ours at the path of one of Flask-Admin's that ``{% extends %}`` it (master.html)
is an override, not a copy: it keeps working when Flask-Admin's changes.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import flask_admin
import pytest

INSTALLED = Path(flask_admin.__file__).parent / "templates" / "bootstrap4"
OURS = Path(__file__).parents[1] / "templates"
EXPECTED = Path(__file__).parent / "copied_templates"
EXTENDS = re.compile(r"^\s*(\{#.*?#\}\s*)*\{%-?\s*extends\b", re.S)


def copied_templates() -> list[str]:
    """Our templates with the path of one of Flask-Admin's that do not extend it."""
    return sorted(
        str(path.relative_to(OURS))
        for path in OURS.rglob("*.html")
        if (INSTALLED / path.relative_to(OURS)).exists() and not EXTENDS.match(path.read_text())
    )


def drift(name: str) -> str:
    """The lines of our copy that differ from the installed template, as a diff without
    context (its line numbers move if Flask-Admin's template gains or loses lines)."""
    installed = (INSTALLED / name).read_text().splitlines()
    ours = (OURS / name).read_text().splitlines()
    lines = difflib.unified_diff(
        installed, ours, f"flask_admin/bootstrap4/{name}", f"templates/{name}", n=0, lineterm=""
    )
    return "\n".join(lines) + "\n"


def expected_drift(name: str) -> Path:
    return EXPECTED / f"{name}.diff"


def test_copies_are_the_templates_known_to_be_copied():
    assert copied_templates() == [
        "admin/actions.html",
        "admin/base.html",
        "admin/model/layout.html",
        "admin/static.html",
    ]


@pytest.mark.parametrize("name", copied_templates())
def test_a_copied_template_differs_from_flask_admins_only_where_changed_on_purpose(name):
    expected = expected_drift(name)

    assert expected.exists(), f"no stored diff for the copy {name}"
    assert drift(name) == expected.read_text(), (
        f"templates/{name} no longer differs from Flask-Admin's by the stored lines: bring the "
        f"copy up to date, then store the new diff (python -m tests.test_copied_templates)"
    )


def test_every_stored_diff_belongs_to_a_copy():
    stored = sorted(
        str(path.relative_to(EXPECTED))[: -len(".diff")] for path in EXPECTED.rglob("*.diff")
    )

    assert stored == copied_templates()


if __name__ == "__main__":
    for name in copied_templates():
        expected_drift(name).parent.mkdir(parents=True, exist_ok=True)
        expected_drift(name).write_text(drift(name))
        print(f"stored {expected_drift(name)}")
