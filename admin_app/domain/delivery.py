"""Sending one message of the outbox: the rules, with no HTTP and no queue.

The worker (``worker.py``) calls ``deliver(message_id)`` for each message it is told of or
finds due; whichever way it arrives, the message is sent by whoever *claims* it:

- **Claim.** One conditional UPDATE takes a pending message whose time has come and moves its
  ``next_attempt_at`` a lease ahead (``MESSAGE_LEASE_SECONDS``), counting the attempt. Two
  workers, or a task and the sweep, never both win it; a worker killed while sending leaves it
  due again once the lease is over, and the sweep hands it to another: sent at least once.
  The claim is committed before the mail server is contacted, so no transaction stays open
  (nor SQLite's write lock held) during the conversation.
- **Consent, at send time.** The claim is made for the client; the address, language and
  consent are read after it. Without email consent in force the message becomes ``withdrawn``
  (one conditional UPDATE) and nothing is sent, however long it waited.
- **Outcome.** Accepted by the server: ``sent``. Refused (an SMTP code), or the server
  unreachable or too slow: ``last_error`` holds the code and short reply (addresses masked,
  never the body), and the message is due again after ``MESSAGE_RETRY_SECONDS`` times
  2^(attempt - 1); after ``MESSAGE_MAX_ATTEMPTS`` tries it is ``failed`` and the shop is
  notified, in the same transaction. Sends and failures are audited without body or address.
"""

from __future__ import annotations

import enum
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import update

from ..data.db_types import utcnow
from ..data.messaging import MessageEvent, MessageStatus, NotificationKind, OutboxMessage
from ..data.models import Client, Mission, User
from ..extensions import db, mail
from ..platform.audit import record
from .consent import withdrawal_token
from .outbox import email_consent_in_force, notify_shop

log = logging.getLogger(__name__)

#: The longest ``last_error`` kept: a code and the server's short reply.
MAX_ERROR_TEXT = 200
ADDRESS = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")


class Outcome(enum.StrEnum):
    """What ``deliver`` did: nothing (the message was not due, or another worker holds it),
    sent it, found the consent gone, will retry it, or gave up."""

    NOT_DUE = "not_due"
    SENT = "sent"
    WITHDRAWN = "withdrawn"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    #: Seconds until the next try (``Outcome.RETRY`` only).
    retry_in: float | None = None


def deliver(message_id: str) -> Delivery:
    """Claim the message, check the client's consent, send it, record what happened."""
    attempt = claim(message_id)
    if attempt is None:
        return Delivery(Outcome.NOT_DUE)
    if _withdraw_without_consent(message_id, attempt):
        return Delivery(Outcome.WITHDRAWN)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:  # its client or mission was deleted meanwhile
        return Delivery(Outcome.NOT_DUE)
    try:
        send(compose(message))
    except Exception as error:  # noqa: BLE001 (any failure to send is retried, then reported)
        if not isinstance(error, smtplib.SMTPException | OSError):
            log.exception("message %s could not be sent", message_id)
        return _after_failure(message, attempt, describe(error))
    return _after_success(message, attempt)


def claim(message_id: str) -> int | None:
    """Take the message if it is pending and due: its lease starts now. Returns the attempt
    number (1 for the first), or None when it is not this caller's to send. Committed."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["MESSAGE_LEASE_SECONDS"])
    attempt = db.session.scalar(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return attempt


def _withdraw_without_consent(message_id: str, attempt: int) -> bool:
    """Mark the claimed message ``withdrawn`` if the client's email consent is gone."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            *_still_ours(message_id, attempt),
            ~email_consent_in_force(OutboxMessage.client_id),
        )
        .values(status=MessageStatus.WITHDRAWN.value)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)


def _still_ours(message_id: str, attempt: int) -> tuple:
    """The message is still pending under this caller's claim (no later claim took it)."""
    return (
        OutboxMessage.id == message_id,
        OutboxMessage.status == MessageStatus.PENDING.value,
        OutboxMessage.attempts == attempt,
    )


def compose(message: OutboxMessage) -> EmailMultiAlternatives:
    """The email, written now in the client's language, to the client's address of now."""
    client = db.session.get_one(Client, message.client_id)
    shop = shop_name(db.session.get_one(User, message.partner_id))
    mission = db.session.get(Mission, message.mission_id) if message.mission_id else None
    link = withdrawal_link(client.id)
    with force_locale(client.language):
        service = (
            mission.service_type.name_in(client.language)
            if mission and mission.service_type
            else None
        )
        context = {"shop": shop, "first_name": client.first_name, "service": service, "link": link}
        subject = _subject(message.event, shop)
        text = render_template(f"messages/{message.event}.txt", **context)
        html = render_template(f"messages/{message.event}.html", **context)
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((shop, sender)),
        to=[client.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "Auto-Submitted": "auto-generated",
            # The same on every try: a receiver can tell a repeated send (at least once).
            "Message-ID": f"<{message.id}@{sender.partition('@')[2] or 'localhost'}>",
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def shop_name(partner: User) -> str:
    """The shop as its clients' messages name it: its name, else its account's address (on
    one line: it goes into the From header)."""
    return " ".join((partner.shop_name or partner.email).split())


def withdrawal_link(client_id: str) -> str:
    """The link that withdraws the client's email consent, on ``PUBLIC_URL`` (the worker has
    no request to take the panel's address from)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    urls = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    token = withdrawal_token(client_id)
    return urls.build("consent.withdraw", {"token": token}, force_external=True)


def _subject(event: str, shop: str) -> str:
    subjects = {
        MessageEvent.OPENED: gettext("%(shop)s: your visit is registered", shop=shop),
        MessageEvent.STARTED: gettext("%(shop)s: work on your visit has started", shop=shop),
        MessageEvent.COMPLETED: gettext("%(shop)s: your visit is complete", shop=shop),
        MessageEvent.CANCELLED: gettext("%(shop)s: your visit was cancelled", shop=shop),
    }
    return subjects[MessageEvent(event)]


def send(email: EmailMultiAlternatives) -> None:
    """Hand the email to the configured backend (SMTP, or the console without a server); the
    connection is closed whatever happens."""
    with mail.get_connection() as connection:
        connection.send_messages([email])


def describe(error: BaseException) -> str:
    """What went wrong, as ``last_error`` keeps it: the server's code and short reply, or the
    network's error; addresses masked."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, reply = error.smtp_code, error.smtp_error
    else:
        return ADDRESS.sub("<address>", f"{type(error).__name__}: {error}")[:MAX_ERROR_TEXT]
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return ADDRESS.sub("<address>", f"{code} {' '.join(str(reply).split())}")[:MAX_ERROR_TEXT]


def _after_success(message: OutboxMessage, attempt: int) -> Delivery:
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
        .values(status=MessageStatus.SENT.value, sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    record(
        "message.sent",
        target=f"outbox_message:{message.id}",
        details={"event": message.event, "attempt": attempt},
    )
    return Delivery(Outcome.SENT)


def _after_failure(message: OutboxMessage, attempt: int, error: str) -> Delivery:
    """Due again after a growing delay, or, after the last try, failed and told to the shop."""
    config = current_app.config
    if attempt >= config["MESSAGE_MAX_ATTEMPTS"]:
        return _give_up(message, attempt, error)
    delay = float(config["MESSAGE_RETRY_SECONDS"]) * 2 ** (attempt - 1)
    db.session.execute(
        update(OutboxMessage)
        .where(*_still_ours(message.id, attempt))
        .values(next_attempt_at=utcnow() + timedelta(seconds=delay), last_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return Delivery(Outcome.RETRY, delay)


def _give_up(message: OutboxMessage, attempt: int, error: str) -> Delivery:
    result = db.session.execute(
        update(OutboxMessage)
        .where(*_still_ours(message.id, attempt))
        # Due now, should an admin retry it (status back to pending, attempts 0).
        .values(status=MessageStatus.FAILED.value, last_error=error, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        notify_shop(
            message.partner_id,
            NotificationKind.MESSAGE_FAILED,
            client_id=message.client_id,
            mission_id=message.mission_id,
            outbox_id=message.id,
        )
    db.session.commit()
    if result.rowcount:
        record(
            "message.failed",
            target=f"outbox_message:{message.id}",
            details={"event": message.event, "attempts": attempt, "error": error},
        )
    return Delivery(Outcome.FAILED)
