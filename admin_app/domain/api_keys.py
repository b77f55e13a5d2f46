"""API keys: made by a shop's partner for its shop, or by an admin for any partner or for all
partners (a key of its own); shown once, stored hashed, revoked rather than deleted.

A key reads ``wk_<prefix>_<secret>``: the prefix finds the row, the secret's SHA-256 is
compared in constant time. The key acts as its owner: a partner's key on its shop's rows,
an admin's on every partner's, through the same domain rules as the panel.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..data.api_keys import ApiKey, ApiScope
from ..data.db_types import utcnow
from ..data.models import RoleName, User
from ..extensions import db
from ..platform.audit import record
from .errors import ApiKeyNotFound, FieldProblem, NotAllowed, ValidationError
from .scoping import is_admin, is_partner, may_manage_staff
from .validation import FieldError, single_line_text

TOKEN_START = "wk_"  # noqa: S105 - how every key begins, not a secret
PREFIX_BYTES = 6
SECRET_BYTES = 32
MAX_NAME = 100


def may_manage_keys(user: User) -> bool:
    """Admins and a shop's own partner manage API keys; staff and support never."""
    return is_admin(user) or may_manage_staff(user)


def make_api_key(
    actor: User, owner: User | None, name: object, scope: object
) -> tuple[ApiKey, str]:
    """A new key of ``owner`` (``actor`` itself, or a partner an admin names; None when none
    was chosen) and its token, which is never stored: the caller shows it once."""
    if not may_manage_keys(actor):
        raise NotAllowed(actor, "manage_api_keys")
    problems: dict[str, FieldProblem] = {}
    try:
        cleaned = key_name(name)
    except FieldError as error:
        problems["name"] = error.problem
    if scope not in {choice.value for choice in ApiScope}:
        problems["scope"] = FieldProblem("not_a_choice")
    if owner is None:
        problems["owner"] = FieldProblem("required")
    elif not _may_own(actor, owner):
        problems["owner"] = FieldProblem("not_active_partner")
    if problems or owner is None:
        raise ValidationError(problems)
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = ApiKey(
        owner_id=owner.id,
        name=cleaned,
        scope=ApiScope(scope),
        prefix=prefix,
        secret_hash=_digest(secret),
        created_by_id=actor.id,
    )
    db.session.add(key)
    db.session.commit()
    record("api_key.create", target=f"api_key:{key.id}", actor=actor,
           details={"key": key.label, "scope": key.scope.value, "email": owner.email})  # fmt: skip
    return key, f"{TOKEN_START}{prefix}_{secret}"


def key_owner(actor: User, owner_id: int | None) -> User | None:
    """Whose key ``actor`` makes: a partner's is its own (whatever is named), an admin's the
    account ``owner_id`` names (itself: all partners), None when it names none yet;
    ``make_api_key`` says whether that account may own it. An id of no account is refused."""
    if not is_admin(actor):
        return actor
    if owner_id is None:
        return None
    owner = db.session.get(User, owner_id)
    if owner is None:
        raise ValidationError({"owner": FieldProblem("not_active_partner")})
    return owner


def key_name(raw: object) -> str:
    """A key's name: one line, required, at most ``MAX_NAME`` characters."""
    text = single_line_text(raw)
    if not text:
        raise FieldError("required")
    if len(text) > MAX_NAME:
        raise FieldError("too_long", max=MAX_NAME)
    return text


def revoke_api_key(key_id: int, actor: User) -> ApiKey:
    """Revoke a key ``actor`` manages; revoking twice changes nothing more."""
    key = visible_key(key_id, actor)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
        record("api_key.revoke", target=f"api_key:{key.id}", actor=actor,
               details={"key": key.label, "email": key.owner.email})  # fmt: skip
    return key


def visible_key(key_id: int, actor: User) -> ApiKey:
    """A key ``actor`` manages: any for admins, its own for a partner; else ``ApiKeyNotFound``
    (another partner's key is recorded as a refused access)."""
    key = db.session.get(ApiKey, key_id) if may_manage_keys(actor) else None
    if key is not None and not (is_admin(actor) or key.owner_id == actor.id):
        record("access.refused", target=f"api_key:{key_id}", actor=actor)
        key = None
    if key is None:
        raise ApiKeyNotFound(str(key_id))
    return key


def visible_keys(actor: User, limit: int | None = None) -> list[ApiKey]:
    """The keys ``actor`` manages, those not revoked first, each group newest first (at most
    ``limit``), with their owners and the owners' roles (one query more, however many)."""
    if not may_manage_keys(actor):
        return []
    query = (
        select(ApiKey)
        .options(joinedload(ApiKey.owner).selectinload(User.roles))
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        .limit(limit)
    )
    if not is_admin(actor):
        query = query.where(ApiKey.owner_id == actor.id)
    return list(db.session.scalars(query))


def key_state(key: ApiKey) -> str:
    """``revoked``, ``owner_inactive`` (its owner is no longer an active partner or admin: it
    is refused until the owner is again) or ``active``."""
    if key.revoked_at is not None:
        return "revoked"
    return "active" if _may_own(key.owner, key.owner) else "owner_inactive"


def acts_for_all_partners(key: ApiKey) -> bool:
    """An admin's key acts on every partner's rows, a partner's on its shop's."""
    return key.owner.has_role(RoleName.ADMIN)


def key_for_token(token: str) -> ApiKey | None:
    """The live key a token names (not revoked, its owner still an active partner or admin),
    its last use stamped now; None for anything else."""
    start, _, rest = token.partition(TOKEN_START)
    prefix, _, secret = rest.partition("_")
    if start or not prefix or not secret:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(secret)):
        return None
    if key.revoked_at is not None or not _may_own(key.owner, key.owner):
        return None
    _stamp_use(key.id)
    return key


def _stamp_use(key_id: int) -> None:
    """The key's last use, on a connection of its own and committed at once (as the audit log
    is): the request's session keeps the key and its owner loaded, and a read-only request
    never commits its own."""
    with db.engine.begin() as connection:
        connection.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def _may_own(actor: User, owner: User) -> bool:
    """An admin's key is its own (all partners) or a partner's; a partner's is its own."""
    if is_admin(actor):
        return owner.id == actor.id or is_partner(owner)
    return owner.id == actor.id and is_partner(owner)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
