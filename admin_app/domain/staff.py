"""A shop's staff accounts, managed by the shop's partner: add, deactivate, reactivate, reset a
password. Admins manage them on the accounts page; both go through ``accounts.py``, which
checks and hashes passwords, ends sessions and writes the audit log."""

from __future__ import annotations

import secrets

from sqlalchemy import Select, select

from ..data.models import RoleName, User
from ..extensions import db
from ..platform.audit import record
from .accounts import create_account, update_account
from .errors import NotAllowed, StaffNotFound
from .scoping import may_manage_staff, shop_id_of, staff_filter

#: Random bytes of a generated password (16 characters once encoded).
GENERATED_PASSWORD_BYTES = 12
MAX_ACCOUNT_ID = 2**31 - 1
STAFF_ROLES = (RoleName.STAFF.value,)


def staff_accounts(actor: User) -> Select[tuple[User]]:
    """The staff accounts ``actor`` manages (its shop's), by email."""
    return select(User).where(staff_filter(actor)).order_by(User.email)


def find_staff(staff_id: object, actor: User) -> User:
    """A staff account of ``actor``'s shop; ``StaffNotFound`` for any other id."""
    _check_manager(actor)
    text = str(staff_id)
    if not text.isdigit() or int(text) > MAX_ACCOUNT_ID:
        raise StaffNotFound(text)
    staff = db.session.scalar(select(User).where(User.id == int(text), staff_filter(actor)))
    if staff is None:
        if db.session.get(User, int(text)) is not None:
            record("access.refused", target=f"user:{text}", actor=actor)
        raise StaffNotFound(text)
    return staff


def add_staff(actor: User, email: str, password: str | None = None) -> tuple[User, str | None]:
    """A new staff account of ``actor``'s shop. Without a password, one is generated and
    returned, to be shown once; it is stored only hashed."""
    _check_manager(actor)
    generated = None if password else new_password()
    shop_id = shop_id_of(actor)
    staff = create_account(email, password or generated or "", STAFF_ROLES, shop_id=shop_id)
    return staff, generated


def set_staff_active(staff_id: object, actor: User, active: bool) -> User:
    """Deactivate (which logs the account out everywhere) or reactivate a staff account."""
    staff = find_staff(staff_id, actor)
    return update_account(staff, roles=STAFF_ROLES, active=active, shop_id=staff.shop_id)


def reset_staff_password(
    staff_id: object, actor: User, password: str | None = None
) -> tuple[User, str | None]:
    """Give a staff account a new password (generated and returned when none is given); its
    sessions end."""
    staff = find_staff(staff_id, actor)
    generated = None if password else new_password()
    update_account(
        staff,
        roles=STAFF_ROLES,
        active=bool(staff.active),
        password=password or generated,
        shop_id=staff.shop_id,
    )
    return staff, generated


def new_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _check_manager(actor: User) -> None:
    if not may_manage_staff(actor):
        raise NotAllowed(actor, "manage_staff")
