"""Who sees which rows and who may change them: the one home of row scoping by partner.

A partner account is a shop. Its staff accounts (role ``staff``, ``user.shop_id``) work on the
shop's rows exactly as the partner does: the scope of both is the shop's partner id
(``shop_id_of``), and nothing else reads an account's id as a partner id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, select, true

from ..data.invoicing import Invoice, ShopLogo, ShopProfile
from ..data.messaging import Notification
from ..data.models import (
    Client,
    ClientSearchKey,
    Mission,
    PartnerTally,
    RoleName,
    User,
    is_row_id,
)
from ..data.reporting import ReportDay
from ..extensions import db
from ..platform.audit import record_refused_access
from .errors import ClientNotFound, MissionNotFound, NotFound

Scoped = TypeVar(
    "Scoped",
    Client,
    Mission,
    PartnerTally,
    ClientSearchKey,
    Notification,
    ReportDay,
    Invoice,
    ShopProfile,
    ShopLogo,
)


def sees_all_partners(user: User) -> bool:
    return user.has_role(RoleName.ADMIN) or user.has_role(RoleName.SUPPORT)


def is_admin(user: User) -> bool:
    return bool(user.active) and user.has_role(RoleName.ADMIN)


def is_partner(user: User) -> bool:
    return bool(user.active) and user.has_role(RoleName.PARTNER)


def shop_id_of(user: User | None) -> int | None:
    """The partner id whose rows ``user`` works on: a partner's own id, a staff account's
    shop's (while that shop is an active partner); None for anyone else."""
    if user is None or not getattr(user, "active", False):
        return None
    if user.has_role(RoleName.STAFF):
        # The shop comes with the account (one join); it stays a partner while it has staff
        # (``accounts.py``), so its activity is all there is to check.
        shop = user.shop
        return shop.id if shop is not None and shop.active else None
    return user.id if user.has_role(RoleName.PARTNER) else None


def shop_of(user: User) -> User | None:
    """The partner account (the shop) whose rows ``user`` works on, if any."""
    if shop_id_of(user) is None:
        return None
    return user.shop if user.has_role(RoleName.STAFF) else user


def may_change_rows(user: User) -> bool:
    """Admins change any client or mission, a shop's partner and staff the shop's; support
    staff only read. An account that is both partner and support sees every row, so it may
    change none."""
    if not user.active:
        return False
    if user.has_role(RoleName.ADMIN):
        return True
    return shop_id_of(user) is not None and not user.has_role(RoleName.SUPPORT)


def may_register_for(actor: User, partner: User) -> bool:
    """Admins register clients for any partner, a shop's partner and staff for the shop."""
    if not may_change_rows(actor):
        return False
    return actor.has_role(RoleName.ADMIN) or shop_id_of(actor) == partner.id


def may_manage_staff(user: User) -> bool:
    """A shop's partner manages its staff (admins do it on the accounts page); staff and
    support never."""
    return (
        is_partner(user)
        and not user.has_role(RoleName.STAFF)
        and not user.has_role(RoleName.SUPPORT)
    )


def may_edit_shop_profile(user: User, partner_id: int) -> bool:
    """A shop's profile (who issues its invoices) is edited by the shop's partner and by
    admins; staff and support only read it."""
    return is_admin(user) or (may_manage_staff(user) and user.id == partner_id)


def scope_filter(model: type[Scoped], user: User | None) -> ColumnElement[bool]:
    """The condition on ``model`` rows that ``user`` may see: a shop's partner and staff the
    shop's rows, admins and support staff every row, anyone else (inactive, no role,
    anonymous) none.

    Notifications are a shop's inbox: support staff see none. A failed email's line quotes
    the mail server's refusal, which may hold the client's address in full, where support
    staff see addresses masked; and nothing in it is theirs to act on."""
    if user is None or not getattr(user, "active", False):
        return false()
    if sees_all_partners(user):
        hidden = model is Notification and not user.has_role(RoleName.ADMIN)
        return false() if hidden else true()
    shop_id = shop_id_of(user)
    return model.partner_id == shop_id if shop_id is not None else false()


def scope_for_partner(
    model: type[Scoped], user: User | None, partner_id: int | None
) -> ColumnElement[bool]:
    """``scope_filter`` narrowed to one partner's rows, for users who see every partner (their
    filters and dashboard). A shop's partner and staff are never narrowed to anyone else:
    their scope is already the shop."""
    scope = scope_filter(model, user)
    if partner_id is None or user is None or not sees_all_partners(user):
        return scope
    return and_(scope, model.partner_id == partner_id)


def checked_partner(user: User | None, partner_id: int | None) -> int | None:
    """The one partner whose rows a per-partner check (duplicates, merges) reads for ``user``:
    a shop's partner and staff the shop's id whatever is asked; for users who see every
    partner, the one they name; ``None`` for anyone else or when nobody is named."""
    if user is None or not getattr(user, "active", False):
        return None
    if sees_all_partners(user):
        return partner_id
    return shop_id_of(user)


def visible(model: type[Scoped], user: User | None) -> Select[tuple[Scoped]]:
    """The query of the ``model`` rows (clients or missions) that ``user`` may see."""
    return select(model).where(scope_filter(model, user))


#: What an id outside the user's scope is called, by model (any other: ``NotFound``).
NOT_FOUND: dict[type, type[NotFound]] = {Client: ClientNotFound, Mission: MissionNotFound}


def visible_row(model: type[Any], row_id: object, user: User | None) -> Any:
    """The ``model`` row ``row_id`` if ``user`` may see it. Any other id (another partner's,
    unknown, malformed) raises the model's ``NotFound``, and one that exists is audited: every
    face answers it 404, so nobody learns whose it is."""
    missing = NOT_FOUND.get(model, NotFound)
    if not is_row_id(row_id):
        raise missing(str(row_id))
    row = db.session.scalar(visible(model, user).where(model.id == row_id))
    if row is None:
        record_refused_access(model, row_id, user)
        raise missing(str(row_id))
    return row


def check_all_visible(model: type[Any], row_ids: Iterable[object], user: User | None) -> set[str]:
    """The ids of a batch, all of them rows ``user`` may see; else ``NotFound`` for the whole
    batch (each id outside the scope audited), before anything is done to any of them."""
    ids = set(row_ids)
    if not all(is_row_id(row_id) for row_id in ids):
        raise NotFound("batch")
    found = set(
        db.session.scalars(select(model.id).where(model.id.in_(ids), scope_filter(model, user)))
    )
    for row_id in ids - found:
        record_refused_access(model, row_id, user)
    if found != ids:
        raise NotFound("batch")
    return found


def staff_filter(user: User | None) -> ColumnElement[bool]:
    """The staff accounts ``user`` manages on its staff page: its own shop's, else none."""
    if user is None or not may_manage_staff(user):
        return false()
    return User.shop_id == shop_id_of(user)
