"""A client's email and phone as the current user may see them (``domain/masking.py``).

``shown_email`` and ``shown_phone`` are Jinja globals (registered once in ``admin/__init__.py``)
and plain functions for views building pages or JSON; ``contact_formatter`` is the list, details
and export formatter of an ``email`` or ``phone`` column. All of them read the logged-in user
through ``sees_contact_details``, the one decision. A support user's "Reveal" answers the
client's page with that one client's details in full (``reveal_in_this_answer``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from flask_security import current_user

from ..domain.masking import mask_email, mask_phone, sees_contact_details


def shows_in_full() -> bool:
    """Whether the logged-in user sees contact details in full."""
    return sees_contact_details(current_user._get_current_object())


def shown_email(value: str | None) -> str:
    """``value`` in full for partners, staff and admins, masked for support staff."""
    return _shown(value, mask_email)


def shown_phone(value: str | None) -> str:
    """``value`` in full for partners, staff and admins, masked for support staff."""
    return _shown(value, mask_phone)


def _shown(value: str | None, mask: Callable[[str], str]) -> str:
    if not value:
        return ""
    return value if shows_in_full() else mask(value)


SHOWN_BY_COLUMN = {"email": shown_email, "phone": shown_phone}


def contact_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    """An ``email`` or ``phone`` column (lists, details, CSV export) as the user may see it."""
    value = getattr(model, name)
    return value if is_revealed(model) else SHOWN_BY_COLUMN[name](value)


def reveal_in_this_answer(client: Any) -> None:
    """Show ``client``'s contact details in full in the page this request answers (its reveal
    is recorded by ``domain.masking.reveal_contact_details``); no other client's."""
    g.revealed_client_id = client.id


def is_revealed(client: Any) -> bool:
    return g.get("revealed_client_id") == client.id


def client_contact_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    """The same for a mission's ``email`` or ``phone`` column, read from its client."""
    return SHOWN_BY_COLUMN[name](getattr(model.client, name))
