"""Who sees which rows and who may change them: the one home of row scoping by partner."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, select, true

from ..data.models import Client, Mission, PartnerTally, RoleName, User

Scoped = TypeVar("Scoped", Client, Mission, PartnerTally)


def sees_all_partners(user: User) -> bool:
    return user.has_role(RoleName.ADMIN) or user.has_role(RoleName.SUPPORT)


def is_admin(user: User) -> bool:
    return bool(user.active) and user.has_role(RoleName.ADMIN)


def is_partner(user: User) -> bool:
    return bool(user.active) and user.has_role(RoleName.PARTNER)


def may_change_rows(user: User) -> bool:
    """Admins change any client or mission, partners their own; support staff only read. An
    account that is both partner and support sees every row, so it may change none."""
    if not user.active:
        return False
    if user.has_role(RoleName.ADMIN):
        return True
    return is_partner(user) and not user.has_role(RoleName.SUPPORT)


def scope_filter(model: type[Scoped], user: User | None) -> ColumnElement[bool]:
    """The condition on ``model`` rows that ``user`` may see: partners their own rows, admins
    and support staff every row, anyone else (inactive, no role, anonymous) none."""
    if user is None or not getattr(user, "active", False):
        return false()
    if sees_all_partners(user):
        return true()
    if user.has_role(RoleName.PARTNER):
        return model.partner_id == user.id
    return false()


def scope_for_partner(
    model: type[Scoped], user: User | None, partner_id: int | None
) -> ColumnElement[bool]:
    """``scope_filter`` narrowed to one partner's rows, for users who see every partner (their
    filters and dashboard). Partners are never narrowed to anyone else: their scope is already
    themselves."""
    scope = scope_filter(model, user)
    if partner_id is None or user is None or not sees_all_partners(user):
        return scope
    return and_(scope, model.partner_id == partner_id)


def checked_partner(user: User | None, partner_id: int | None) -> int | None:
    """The one partner whose rows a per-partner check (duplicates, merges) reads for ``user``:
    a partner's own id whatever is asked; for users who see every partner, the one they name;
    ``None`` for anyone else or when nobody is named."""
    if user is None or not getattr(user, "active", False):
        return None
    if sees_all_partners(user):
        return partner_id
    return user.id if user.has_role(RoleName.PARTNER) else None


def visible(model: type[Scoped], user: User | None) -> Select[tuple[Scoped]]:
    """The query of the ``model`` rows (clients or missions) that ``user`` may see."""
    return select(model).where(scope_filter(model, user))
