"""Account rules: who may hold which role, and that an active admin always remains."""

from __future__ import annotations

from collections.abc import Iterable

from flask_security import hash_password
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..data.models import Role, RoleName, User
from ..extensions import db, security
from ..platform.audit import record
from ..platform.sessions import revoke_sessions
from .errors import FieldProblem, ValidationError


def create_account(email: str, password: str, roles: Iterable[str], active: bool = True) -> User:
    """Create an account; the password is checked by Flask-Security's rules and hashed. The
    address is compared as Flask-Security compares it at login (``security_utils.MailUtil``)."""
    address = _checked_email(email)
    if security.datastore.find_user(case_insensitive=True, email=address) is not None:
        raise _address_taken()
    _check_password(password, email=address)
    user = security.datastore.create_user(
        email=address, password=hash_password(password), active=active, roles=_roles(roles)
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # the same address, created at the same moment
        db.session.rollback()
        raise _address_taken() from error
    record("account.create", target=f"user:{user.id}", details=_account_summary(user))
    return user


def update_account(
    user: User, *, roles: Iterable[str], active: bool, password: str | None = None
) -> User:
    """Change roles, activity and (optionally) the password, keeping at least one active admin."""
    role_objects = _roles(roles)
    stays_admin = active and any(role.name == RoleName.ADMIN for role in role_objects)
    if not stays_admin and _is_active_admin(user):
        lock_admin_role()
        if _active_admin_count() <= 1:
            # The error goes to the box that was changed: Active unticked, or Admin removed.
            field = "roles" if active else "active"
            raise ValidationError({field: FieldProblem("last_admin")})
    if password:
        _check_password(password, user=user)
        user.password = hash_password(password)
    logged_out_everywhere = bool(password) or not active
    if logged_out_everywhere:
        # A new uniquifier invalidates every login token of the account.
        security.datastore.set_uniquifier(user)
    user.roles = role_objects
    user.active = active
    db.session.commit()
    if logged_out_everywhere:
        revoke_sessions(user.id)
    summary = {**_account_summary(user), "password_changed": bool(password)}
    record("account.update", target=f"user:{user.id}", details=summary)
    return user


def _account_summary(user: User) -> dict[str, object]:
    return {"email": user.email, "roles": sorted(r.name for r in user.roles), "active": user.active}


def _address_taken() -> ValidationError:
    return ValidationError({"email": FieldProblem("email_taken")})


def _checked_email(email: str) -> str:
    try:
        return security.mail_util.validate(" ".join((email or "").split()))
    except ValueError as problem:
        raise ValidationError({"email": FieldProblem("invalid_email")}) from problem


def _check_password(password: str, **context: object) -> None:
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
