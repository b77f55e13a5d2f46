"""A client's consent to hear from the shop, per channel, and the link that withdraws it.

Consent is given at the counter (the registration form, the client's page) and recorded with
when and by whom; it is withdrawn on the client's page or by the link every message carries,
which needs no login: a token signed with the app's secret, naming the client and the channel,
valid ``UNSUBSCRIBE_LINK_MAX_AGE`` seconds. Each change is a row of ``client_consent`` (its
history) and an audit line.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..data.db_types import utcnow
from ..data.messaging import Channel, ClientConsent
from ..data.models import Client, User, is_row_id
from ..extensions import db
from ..platform.audit import record

#: Keeps these tokens apart from any other the app signs with its secret.
TOKEN_SALT = "walkin-consent-withdrawal"  # noqa: S105 (a namespace, not a password)


class WithdrawalLinkInvalid(Exception):
    """A withdrawal link that was not made by this app (or names no client any more)."""


class WithdrawalLinkExpired(Exception):
    """A genuine withdrawal link past its age; ``language`` is its client's, for the page."""

    def __init__(self, language: str) -> None:
        super().__init__("withdrawal link expired")
        self.language = language


def consent_in_force(client_id: str, channel: Channel = Channel.EMAIL) -> ClientConsent | None:
    return db.session.scalar(
        select(ClientConsent).where(
            ClientConsent.client_id == client_id,
            ClientConsent.channel == channel.value,
            ClientConsent.withdrawn_at.is_(None),
        )
    )


def consent_history(client_id: str) -> list[ClientConsent]:
    """Every period of the client's consent on every channel, newest first."""
    return list(
        db.session.scalars(
            select(ClientConsent)
            .where(ClientConsent.client_id == client_id)
            .order_by(ClientConsent.given_at.desc(), ClientConsent.id.desc())
        )
    )


def add_consent(client: Client, actor: User, channel: Channel = Channel.EMAIL) -> None:
    """Record, uncommitted, consent given now and captured by ``actor``, unless one is already
    in force. ``client`` may be new (not flushed yet)."""
    if client.id is not None and consent_in_force(client.id, channel) is not None:
        return
    db.session.add(
        ClientConsent(
            client=client,
            channel=channel.value,
            given_at=utcnow(),
            given_by_id=actor.id,
            given_by_email=actor.email,
        )
    )


def end_consent(
    client_id: str, via: str, by: User | None, channel: Channel = Channel.EMAIL
) -> bool:
    """Withdraw, uncommitted, the consent in force on ``channel`` (``via`` ``panel`` or
    ``link``); whether there was one."""
    result = db.session.execute(
        update(ClientConsent)
        .where(
            ClientConsent.client_id == client_id,
            ClientConsent.channel == channel.value,
            ClientConsent.withdrawn_at.is_(None),
        )
        .values(
            withdrawn_at=utcnow(), withdrawn_via=via, withdrawn_by_email=by.email if by else None
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


#: The audit line of a change made in the panel, by whether consent is now given.
PANEL_CHANGES = {True: "client.consent_given", False: "client.consent_withdrawn"}


def set_email_consent(client: Client, actor: User, given: bool) -> bool:
    """Give (captured by ``actor``) or withdraw (``panel``, by ``actor``) the client's email
    consent, uncommitted; whether it changed. Call it before changing anything else in the
    session: it reads the consent in force, which flushes what is pending."""
    if (consent_in_force(client.id) is not None) == given:
        return False
    if given:
        add_consent(client, actor)
    else:
        end_consent(client.id, "panel", actor)
    return True


def record_panel_change(client_id: str, actor: User, given: bool) -> None:
    """The audit line of a consent change made in the panel (committed): who, which client,
    given or withdrawn; nothing about the client."""
    record(
        PANEL_CHANGES[given],
        target=f"walk_in_client:{client_id}",
        details={"channel": Channel.EMAIL.value, "via": "panel"},
        actor=actor,
    )


def withdrawal_token(client_id: str, channel: Channel = Channel.EMAIL) -> str:
    return _serializer().dumps({"client": client_id, "channel": channel.value})


def withdraw_by_link(token: str) -> Client:
    """Withdraw the consent a link names (nothing to do if already withdrawn) and return its
    client, whose language the page speaks. ``WithdrawalLinkInvalid`` for a forged or stale
    link, ``WithdrawalLinkExpired`` for one past its age."""
    client, channel = _client_of(token)
    if end_consent(client.id, "link", None, channel):
        db.session.commit()
        record(
            "client.consent_withdrawn",
            target=f"walk_in_client:{client.id}",
            details={"channel": channel.value, "via": "link"},
        )
    return client


def check_withdrawal_link(token: str) -> Client:
    """The client a valid link names, without changing anything (the page that asks)."""
    return _client_of(token)[0]


def _client_of(token: str) -> tuple[Client, Channel]:
    serializer = _serializer()
    try:
        payload = serializer.loads(token, max_age=current_app.config["UNSUBSCRIBE_LINK_MAX_AGE"])
    except SignatureExpired as expired:
        client = _named_client(serializer.load_payload(expired.payload))
        raise WithdrawalLinkExpired(client.language if client else "en") from None
    except BadSignature:
        raise WithdrawalLinkInvalid() from None
    client = _named_client(payload)
    if client is None:
        raise WithdrawalLinkInvalid()
    return client, Channel(payload["channel"])


def _named_client(payload: Any) -> Client | None:
    if not isinstance(payload, dict) or payload.get("channel") not in set(Channel):
        return None
    client_id = payload.get("client")
    return db.session.get(Client, client_id) if is_row_id(client_id) else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
