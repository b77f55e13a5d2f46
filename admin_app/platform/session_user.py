"""The logged-in account comes with its session row: one lookup a request.

Flask-Security's user loader reads the account through the ORM (the account, its roles and a
staff account's shop, joined) after the session store has read its own row: two statements on
every request and the ORM's row processing, most of what a logged-in request cost before its
view (``bench/fixed_cost.py`` prints the breakdown). Here the session store reads its row
joined with the owner, the owner's shop and roles (``read_session``), and the user loader builds
the account from those values and attaches it to the request's ORM session as a query would
have loaded it (``make_transient_to_detached``): every column set, lazy relationships loading
as before, nothing to write. Whenever the row does not answer for the account the session
names, Flask-Security's own lookup runs.

Revocation is unchanged: no session row, no account; an inactive account is refused here as
Flask-Security refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, session
from flask_security import AsaList
from flask_security.utils import set_request_attr
from sqlalchemy import Select, Table, bindparam, inspect, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..data.models import Role, User, WebSession
from ..extensions import db, security


def _attribute_columns(model: type, table: Table) -> tuple[tuple[str, Any], ...]:
    """(attribute name, column of ``table``) of each mapped column of ``model``."""
    mapper = inspect(model)
    own = model.__table__  # type: ignore[attr-defined]
    return tuple((mapper.get_property_by_column(own.c[c.key]).key, c) for c in table.c)


def _lookup() -> tuple[Select[Any], dict[str, tuple[tuple[str, str], ...]]]:
    """The statement (built once) and, for the account, its shop and its role, which of the
    statement's labels holds each attribute."""
    sessions, users, roles = WebSession.__table__, User.__table__, Role.__table__
    shops = users.alias("shop")
    links = User.roles.property.secondary
    parts = {
        "user": _attribute_columns(User, users),
        "shop": _attribute_columns(User, shops),
        "role": _attribute_columns(Role, roles),
    }
    joined = (
        sessions.outerjoin(users, users.c.id == sessions.c.user_id)
        .outerjoin(shops, shops.c.id == users.c.shop_id)
        .outerjoin(links, links.c.user_id == users.c.id)
        .outerjoin(roles, roles.c.id == links.c.role_id)
    )
    labels = {
        name: tuple((key, f"{name}_{key}") for key, _ in columns) for name, columns in parts.items()
    }
    columns = [
        column.label(f"{name}_{key}") for name, pairs in parts.items() for key, column in pairs
    ]
    statement = (
        select(sessions.c.id, sessions.c.data, sessions.c.created_at, sessions.c.last_seen_at)
        .add_columns(*columns)
        .select_from(joined)
        .where(sessions.c.id == bindparam("digest"))
    )
    return statement, labels


SESSION_LOOKUP, LABELS = _lookup()
LIST_ATTRIBUTES = {
    model: tuple(
        key
        for key, column in _attribute_columns(model, model.__table__)
        if isinstance(column.type, AsaList)
    )
    for model in (User, Role)
}


@dataclass(frozen=True)
class Account:
    """The session owner's column values, its shop's (staff accounts) and its roles'."""

    user: dict[str, Any]
    shop: dict[str, Any] | None
    roles: tuple[dict[str, Any], ...]


def _values(row: Row[Any], part: str) -> dict[str, Any] | None:
    mapping = row._mapping
    values = {key: mapping[label] for key, label in LABELS[part]}
    return values if values["id"] is not None else None


def read_session(connection: Connection, digest: str) -> tuple[Row[Any] | None, Account | None]:
    """The session row (``id``, ``data``, ``created_at``, ``last_seen_at``) and its owner."""
    rows = connection.execute(SESSION_LOOKUP, {"digest": digest}).all()
    if not rows:
        return None, None
    user = _values(rows[0], "user")
    if user is None:
        return rows[0], None
    roles = {role["id"]: role for row in rows if (role := _values(row, "role")) is not None}
    return rows[0], Account(user, _values(rows[0], "shop"), tuple(roles.values()))


def _built(model: type, values: dict[str, Any]) -> Any:
    """An instance made as the ORM makes one from a row: the values straight into its state,
    then marked as loaded. A list column goes through its attribute, which wraps the list so
    that changes to it are tracked (Flask-Security's recovery codes)."""
    instance = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)
    for key in LIST_ATTRIBUTES[model]:
        setattr(instance, key, values[key])
    make_transient_to_detached(instance)
    return instance


def _held_or_built(orm: Session, model: type, values: dict[str, Any]) -> Any:
    """The instance the request's ORM session holds already, as a query would return it, or
    one built from the values."""
    present = orm.identity_map.get(identity_key(model, values["id"]))
    return present if present is not None else _built(model, values)


def _attach(account: Account) -> User:
    orm = db.session()  # the request's session itself: the scoped proxy costs each call
    present = orm.identity_map.get(identity_key(User, account.user["id"]))
    if present is not None:
        return present
    user = _built(User, account.user)
    roles = [_held_or_built(orm, Role, values) for values in account.roles]
    set_committed_value(user, "roles", roles)
    shop = _held_or_built(orm, User, account.shop) if account.shop else None
    set_committed_value(user, "shop", shop)
    orm.add(user)  # its roles and shop with it (the relationships' save-update cascade)
    return user


def _accepted(user: User | None) -> User | None:
    """Flask-Security's rule: only an active account is logged in by its session."""
    if user is None or not user.active:
        return None
    set_request_attr("fs_authn_via", "session")
    set_request_attr("fs_paa", session.get("fs_paa", 0))
    return user


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account read with the session row when it is the one
    the session names, else Flask-Security's lookup by ``fs_uniquifier``."""
    if not user_id:
        return None
    account: Account | None = getattr(session, "account", None)
    if account is not None and account.user["fs_uniquifier"] == str(user_id):
        return _accepted(_attach(account))
    return _accepted(security.datastore.find_user(fs_uniquifier=str(user_id)))


def init_session_user(app: Flask) -> None:
    """After Flask-Security: its login manager loads accounts through ``load_user``."""
    app.login_manager.user_loader(load_user)  # type: ignore[attr-defined]
