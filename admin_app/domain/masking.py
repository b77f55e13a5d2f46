"""Contact details shown partly masked: who sees a client's email and phone in full, and the
masked forms everyone else sees.

Support staff read every partner's clients but see their emails and phones partly masked
(``a•••@example.org``, ``+33 6•• •• •• 78``); a "Reveal" on a client's page shows them and is
audited. Partners, their staff and admins see their rows in full.

The API, kept stable for every face that shows a client's contact details:

- ``sees_contact_details(user) -> bool``: the one decision (False for support staff).
- ``mask_email(email) -> str`` and ``mask_phone(phone) -> str``: the masked forms.
- ``reveal_contact_details(client_id, user) -> Client``: a support user's "Reveal" of one
  client, recorded in the audit log (``client.reveal``: who, which client, when; never the
  values); ``ClientNotFound`` for a client the user may not see or that does not exist.
- In templates, ``shown_email(value)`` and ``shown_phone(value)`` (Jinja globals registered in
  ``admin/__init__.py``, defined in ``admin/contact_details.py``) return the value as the
  current user may see it; list views use ``contact_formatter`` from the same module, and
  Python code building pages or JSON calls ``shown_email`` / ``shown_phone`` from there too.

Searches still compare the real values (support staff type half a number); only what is shown
is masked.
"""

from __future__ import annotations

import phonenumbers

from ..data.models import Client, RoleName, User
from ..platform.audit import record
from .clients import visible_client

MASK = "•"
HIDDEN = MASK * 3
#: National numbers shorter than this keep only their first digit: showing the last two as
#: well would leave too few hidden.
MIN_DIGITS_FOR_LAST_TWO = 6


def sees_contact_details(user: User | None) -> bool:
    """Whether ``user`` sees clients' emails and phones in full on the rows it may read:
    partners, staff and admins do; support staff (unless also admin) and anyone inactive or
    anonymous see them masked."""
    if user is None or not getattr(user, "active", False):
        return False
    if user.has_role(RoleName.ADMIN):
        return True
    return not user.has_role(RoleName.SUPPORT)


def reveal_contact_details(client_id: str, user: User) -> Client:
    """The client ``client_id`` whose email and phone ``user`` asked to see in full, the
    request recorded in the audit log (the client's id only, never its email or phone)."""
    client = visible_client(client_id, user)
    record("client.reveal", target=f"walk_in_client:{client.id}", actor=user)
    return client


def mask_email(email: str) -> str:
    """The first character of the local part and the whole domain: ``a•••@example.org``. A
    one-character local part is hidden whole (``•••@b.co``); a value without ``@`` is hidden
    whole too. The mask's length never tells the local part's."""
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return HIDDEN
    shown = local[0] if len(local) > 1 else ""
    return f"{shown}{HIDDEN}@{domain}"


def mask_phone(phone: str) -> str:
    """A stored E.164 number in the international format with its national digits masked but
    the first and the last two: ``+33612345678`` → ``+33 6•• •• •• 78``. The groups are the
    country's own; a first group of one digit (a French mobile's ``6``) is joined to the next,
    so the kept digit starts a masked group rather than standing alone. A number that cannot
    be read keeps only its last two digits (``•••78``), or nothing when it is short."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return _mask_unreadable(phone)
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    country, _, national = formatted.partition(" ")
    if not national:
        return _mask_unreadable(phone)
    return f"{country} {_mask_national(national)}"


def _mask_national(national: str) -> str:
    """``national`` with its digits masked but the first (and the last two when there are
    enough), separators kept."""
    count = sum(char.isdigit() for char in national)
    shown_tail = 2 if count >= MIN_DIGITS_FOR_LAST_TWO else 0
    masked, seen = [], 0
    for char in national:
        if char.isdigit():
            keep = seen == 0 or seen >= count - shown_tail
            masked.append(char if keep else MASK)
            seen += 1
        else:
            masked.append(char)
    text = "".join(masked)
    if len(text) > 2 and not text[1].isdigit() and text[1] != MASK and text[2] == MASK:
        return text[0] + text[2:]
    return text


def _mask_unreadable(phone: str) -> str:
    digits = [char for char in phone if char.isdigit()]
    if len(digits) < MIN_DIGITS_FOR_LAST_TWO:
        return HIDDEN
    return HIDDEN + "".join(digits[-2:])
