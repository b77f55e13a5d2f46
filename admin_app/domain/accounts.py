"""Account rules: who may hold which role, and that an active admin always remains."""

from __future__ import annotations

from collections.abc import Iterable

from flask_security import hash_password
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from ..data.models import Role, RoleName, User
from ..extensions import db, security
from ..platform.audit import record
from ..platform.sessions import revoke_sessions
from .errors import FieldProblem, ValidationError
from .scoping import may_manage_staff
from .validation import MESSAGE_LANGUAGES, FieldError, single_line_text

#: The longest shop name: it heads every message to the shop's clients.
SHOP_NAME_MAX_LENGTH = 100
#: ``update_account``'s "leave the shop name as it is".
KEEP = object()


def create_account(
    email: str,
    password: str,
    roles: Iterable[str],
    active: bool = True,
    shop_id: int | None = None,
    shop_name: object = None,
) -> User:
    """Create an account; the password is checked by Flask-Security's rules and hashed. The
    address is compared as Flask-Security compares it at login (``security_utils.MailUtil``).
    A staff account belongs to the shop ``shop_id`` (an active partner account); a partner
    account may have a ``shop_name``."""
    address = checked_email(email)
    if security.datastore.find_user(case_insensitive=True, email=address) is not None:
        raise address_taken()
    role_objects = _roles(roles)
    shop_id = _checked_shop(role_objects, shop_id)
    shop_name = checked_shop_name(role_objects, shop_name)
    check_password(password, email=address)
    user = security.datastore.create_user(
        email=address,
        password=hash_password(password),
        active=active,
        roles=role_objects,
        shop_id=shop_id,
        shop_name=shop_name,
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # the same address, created at the same moment
        db.session.rollback()
        raise address_taken() from error
    record("account.create", target=f"user:{user.id}", details=_account_summary(user))
    return user


def update_account(
    user: User,
    *,
    roles: Iterable[str],
    active: bool,
    password: str | None = None,
    shop_id: int | None = None,
    shop_name: object = KEEP,
) -> User:
    """Change roles, shop, activity, (optionally) the password and (unless ``KEEP``) the shop
    name, keeping at least one active admin; a deactivation or a new password logs the account
    out everywhere."""
    role_objects = _roles(roles)
    shop_id = _checked_shop(role_objects, shop_id)
    name = user.shop_name if shop_name is KEEP else checked_shop_name(role_objects, shop_name)
    if shop_id == user.id:
        raise ValidationError({"shop": FieldProblem("staff_needs_shop")})
    _check_shop_keeps_partner(user, role_objects)
    stays_admin = active and any(role.name == RoleName.ADMIN for role in role_objects)
    if not stays_admin and _is_active_admin(user):
        lock_admin_role()
        if _active_admin_count() <= 1:
            # The error goes to the box that was changed: Active unticked, or Admin removed.
            field = "roles" if active else "active"
            raise ValidationError({field: FieldProblem("last_admin")})
    if password:
        check_password(password, user=user)
        user.password = hash_password(password)
    logged_out_everywhere = bool(password) or not active
    if logged_out_everywhere:
        # A new uniquifier invalidates every login token of the account.
        security.datastore.set_uniquifier(user)
    user.roles = role_objects
    user.active = active
    user.shop_id = shop_id
    user.shop_name = name
    db.session.commit()
    if logged_out_everywhere:
        revoke_sessions(user.id)
    summary = {**_account_summary(user), "password_changed": bool(password)}
    record("account.update", target=f"user:{user.id}", details=summary)
    return user


def remember_language(user: User, language: str) -> None:
    """A shop's partner who chooses the panel's language also chooses its new clients' (they
    default to ``user.language``); staff, admins and support choose for themselves only."""
    if language not in MESSAGE_LANGUAGES or user.language == language:
        return
    if may_manage_staff(user) and not user.has_role(RoleName.ADMIN):
        user.language = language
        db.session.commit()


def _account_summary(user: User) -> dict[str, object]:
    summary = {
        "email": user.email,
        "roles": sorted(r.name for r in user.roles),
        "active": user.active,
    }
    if user.shop_name:
        summary["shop_name"] = user.shop_name
    return {**summary, "shop_id": user.shop_id} if user.shop_id else summary


def checked_shop_name(roles: list[Role], raw: object) -> str | None:
    """A shop's name as its clients' messages show it: one line of text, at most
    ``SHOP_NAME_MAX_LENGTH`` characters, for a partner account only (empty: none)."""
    try:
        name = single_line_text(raw)
    except FieldError as error:
        raise ValidationError({"shop_name": error.problem}) from None
    if not name:
        return None
    if len(name) > SHOP_NAME_MAX_LENGTH:
        problem = FieldProblem("too_long", {"max": SHOP_NAME_MAX_LENGTH})
        raise ValidationError({"shop_name": problem})
    if not _has_partner_role(roles):
        raise ValidationError({"shop_name": FieldProblem("shop_name_for_partners")})
    return name


def _has_partner_role(roles: list[Role]) -> bool:
    return any(role.name == RoleName.PARTNER for role in roles)


def _checked_shop(roles: list[Role], shop_id: int | None) -> int | None:
    """A staff account holds no other role and belongs to a partner account (it works only
    while that partner is active: ``scoping.shop_id_of``); no other account has a shop."""
    names = {role.name for role in roles}
    if RoleName.STAFF.value not in names:
        return None
    if len(names) > 1:
        raise ValidationError({"roles": FieldProblem("staff_alone")})
    shop = db.session.get(User, shop_id) if shop_id else None
    if shop is None or not shop.has_role(RoleName.PARTNER):
        raise ValidationError({"shop": FieldProblem("staff_needs_shop")})
    return shop.id


def _check_shop_keeps_partner(user: User, roles: list[Role]) -> None:
    """A shop with staff stays a partner: its staff's scope is the shop's rows."""
    if _has_partner_role(roles):
        return
    if db.session.scalar(select(User.id).where(User.shop_id == user.id).limit(1)) is not None:
        raise ValidationError({"roles": FieldProblem("shop_has_staff")})


def address_taken() -> ValidationError:
    return ValidationError({"email": FieldProblem("email_taken")})


def checked_email(email: str) -> str:
    try:
        return security.mail_util.validate(" ".join((email or "").split()))
    except ValueError as problem:
        raise ValidationError({"email": FieldProblem("invalid_email")}) from problem


def check_password(password: str, **context: object) -> None:
    problems, _ = security.password_util.validate(
        password or "", is_register="user" not in context, **context
    )
    if problems:
        reasons = " ".join(str(problem) for problem in problems)
        raise ValidationError({"password": FieldProblem("password_refused", {"reasons": reasons})})


def _roles(names: Iterable[str]) -> list[Role]:
    wanted = set(names)
    if {RoleName.PARTNER.value, RoleName.SUPPORT.value} <= wanted:
        raise ValidationError({"roles": FieldProblem("partner_and_support")})
    unknown = wanted - {role.value for role in RoleName}
    if unknown:
        roles = ", ".join(sorted(unknown))
        raise ValidationError({"roles": FieldProblem("unknown_roles", {"roles": roles})})
    return list(db.session.scalars(select(Role).where(Role.name.in_(wanted))))


def _is_active_admin(user: User) -> bool:
    return bool(user.active) and user.has_role(RoleName.ADMIN)


def lock_admin_role() -> None:
    """Two admins stepping down at the same instant must not both pass the count: on
    PostgreSQL the second waits here for the first to commit, then counts again. (SQLite lets
    one writer at a time: the second gets a "database is locked" error instead of a wrong yes.)"""
    db.session.execute(select(Role.id).where(Role.name == RoleName.ADMIN.value).with_for_update())


def _active_admin_count() -> int:
    query = (
        select(func.count(User.id))
        .join(User.roles)
        .where(Role.name == RoleName.ADMIN.value, User.active.is_(True))
    )
    return db.session.scalar(query) or 0


def partner_choices() -> list[tuple[int, str]]:
    """Active partner accounts (id, email) by email: whom an admin may act for or narrow a
    page to (the panel's pickers and filters; the API checks its ``partner_id`` the same way:
    ``missions.partner_to_register_for``)."""
    query = partner_choices_query().order_by(User.email)
    return [(row.id, row.email) for row in db.session.execute(query)]


def partner_choices_query() -> Select[tuple[int, str]]:
    """The ids and emails of the active partner accounts, in no order."""
    return (
        select(User.id, User.email)
        .join(User.roles)
        .where(Role.name == RoleName.PARTNER.value, User.active.is_(True))
    )
