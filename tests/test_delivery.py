"""Sending a message (``domain/delivery.py``) to a real SMTP server, read back: only with
consent, in the client's language with the shop's name and a working withdrawal link; a
refusal is retried with growing delays, then failed, audited and told to the shop."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select

from admin_app.data.db_types import utcnow
from admin_app.data.messaging import Notification, OutboxMessage
from admin_app.data.models import AuditEvent, ServiceType, User
from admin_app.domain import delivery
from admin_app.domain.delivery import Outcome, claim, deliver
from admin_app.domain.missions import apply_transition
from admin_app.extensions import db
from tests.conftest import csrf_token
from tests.message_support import PUBLIC_URL, Shop, message_of
from tests.smtp_server import Inbox, wait_for


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _header(mail: EmailMessage, name: str) -> str:
    """A header's value, unfolded (long ones start on the line after the name)."""
    return str(mail[name]).strip()


def _service(name_en: str, name_fr: str) -> int:
    service = ServiceType(name_en=name_en, name_fr=name_fr)
    db.session.add(service)
    db.session.commit()
    return service.id


def test_message_is_sent_in_french_with_the_shop_service_and_withdrawal_link(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    service = _service("Phone repair", "Réparation de téléphone")
    client_id, mission_id, email = shop.register("Inès", service_type_id=service)
    message = message_of(mission_id, "opened")

    assert deliver(message.id).outcome is Outcome.SENT

    [received] = inbox.to(email)
    mail = received.message
    assert _header(mail, "Subject") == "Atelier Lumière : votre visite est enregistrée"
    assert mail["From"].addresses[0].display_name == "Atelier Lumière"
    assert mail["From"].addresses[0].addr_spec == "messages@walkin.example.com"
    assert "Bonjour Inès," in received.text
    assert "Atelier Lumière a enregistré votre visite pour : Réparation de téléphone." in (
        received.text
    )
    link = _header(mail, "List-Unsubscribe").strip("<>")
    assert link.startswith(f"{PUBLIC_URL}/stop-emails/")
    assert link in received.text and f'href="{link}"' in received.html
    assert "Réparation de téléphone" in received.html and "Bonjour Inès" in received.html
    sent = message_of(mission_id, "opened")
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert sent.sent_at is not None
    [line] = _audit("message.sent")
    assert line.target == f"outbox_message:{message.id}"
    assert json.loads(line.details) == {"event": "opened", "attempt": 1}


def test_message_is_sent_in_english_naming_the_account_when_the_shop_has_no_name(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    partner = shop.partner
    partner.shop_name = None
    db.session.commit()
    _, mission_id, email = shop.register("Noah", language="en")
    apply_transition(mission_id, shop.partner, "start")

    for event in ("opened", "started"):
        assert deliver(message_of(mission_id, event).id).outcome is Outcome.SENT

    subjects = [_header(item.message, "Subject") for item in inbox.to(email)]
    assert subjects == [
        f"{partner.email}: your visit is registered",
        f"{partner.email}: work on your visit has started",
    ]
    started = inbox.to(email)[1]
    assert "Hello Noah," in started.text
    assert f"{partner.email} has started work on your visit." in started.text
    assert "Bonjour" not in started.text


def test_client_without_consent_gets_no_mail(mail_app: Flask, shop: Shop, inbox: Inbox) -> None:
    _, silent_mission, silent_email = shop.register("Sans", consent=False)
    apply_transition(silent_mission, shop.partner, "start")
    _, _, heard_email = shop.register("Avec")

    for message_id in db.session.scalars(select(OutboxMessage.id)).all():
        deliver(message_id)

    assert inbox.to(silent_email) == []
    assert len(inbox.to(heard_email)) == 1, "the server receives the consenting client's mail"


def test_link_of_a_received_message_withdraws_and_stops_the_queued_one(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    _, mission_id, email = shop.register("Inès")
    deliver(message_of(mission_id, "opened").id)
    apply_transition(mission_id, shop.partner, "start")
    queued = message_of(mission_id, "started")
    assert queued.status == "pending"

    link = _header(inbox.to(email)[0].message, "List-Unsubscribe").strip("<>")
    browser = mail_app.test_client()
    page = browser.get(link)
    assert page.status_code == 200 and "Atelier Lumière" in page.get_data(as_text=True)
    # Over HTTPS, Flask-WTF also checks that the form came from this site.
    done = browser.post(
        link, data={"csrf_token": csrf_token(browser, link)}, headers={"Referer": link}
    )
    assert 'data-testid="withdrawal-done"' in done.get_data(as_text=True)

    assert deliver(queued.id).outcome is Outcome.WITHDRAWN
    assert message_of(mission_id, "started").status == "withdrawn"
    assert len(inbox.to(email)) == 1, "nothing sent after the withdrawal"
    assert (
        _audit("message.sent")[0].target == f"outbox_message:{message_of(mission_id, 'opened').id}"
    )
    assert len(_audit("message.sent")) == 1


def test_withdrawal_link_keeps_the_public_urls_path(mail_app: Flask, shop: Shop) -> None:
    client_id, _, _ = shop.register()
    mail_app.config["PUBLIC_URL"] = "https://shops.example.org/walkin/"
    try:
        link = delivery.withdrawal_link(client_id)
    finally:
        mail_app.config["PUBLIC_URL"] = PUBLIC_URL
    assert link.startswith("https://shops.example.org/walkin/stop-emails/")


def test_refusing_server_gets_retries_with_growing_delays_then_a_failed_entry(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    client_id, mission_id, email = shop.register("Inès")
    message_id = message_of(mission_id, "opened").id
    inbox.refusal = f"550 5.1.1 <{email}>: Recipient address rejected"
    mail_app.config["MESSAGE_RETRY_SECONDS"] = 0.5
    delays = []
    try:
        for _ in range(2):
            before = utcnow()
            result = deliver(message_id)
            assert result.outcome is Outcome.RETRY
            row = message_of(mission_id, "opened")
            assert row.status == "pending"
            assert row.last_error == "550 5.1.1 <<address>>: Recipient address rejected"
            waited = (row.next_attempt_at - before).total_seconds()
            delays.append(result.retry_in)
            assert result.retry_in <= waited < result.retry_in + 1
            early = deliver(message_id).outcome
            assert early is Outcome.NOT_DUE or utcnow() >= row.next_attempt_at, (
                "not before its time"
            )
            wait_for(lambda: utcnow() >= message_of(mission_id, "opened").next_attempt_at)
    finally:
        mail_app.config["MESSAGE_RETRY_SECONDS"] = 0.1
    assert delays == [0.5, 1.0]

    assert deliver(message_id).outcome is Outcome.FAILED
    failed = message_of(mission_id, "opened")
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert len(inbox.tries) == 3 and inbox.to(email) == []
    assert deliver(message_id).outcome is Outcome.NOT_DUE, "a failed message is not retried"
    [line] = _audit("message.failed")
    assert line.target == f"outbox_message:{message_id}"
    details = json.loads(line.details)
    assert details["event"] == "opened" and details["attempts"] == 3
    assert email not in line.details and "Bonjour" not in line.details
    [note] = db.session.scalars(select(Notification)).all()
    assert (note.kind, note.partner_id) == ("message_failed", shop.partner_id)
    assert (note.client_id, note.mission_id, note.outbox_id) == (client_id, mission_id, message_id)
    assert db.session.get_one(User, shop.partner_id).unread_notifications == 1


def test_temporary_refusal_is_retried_and_then_sent(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    _, mission_id, email = shop.register("Inès")
    message_id = message_of(mission_id, "opened").id
    inbox.refusal = "451 4.3.0 Mailbox busy, try again later"
    assert deliver(message_id).outcome is Outcome.RETRY
    assert message_of(mission_id, "opened").last_error == "451 4.3.0 Mailbox busy, try again later"

    inbox.refusal = None
    wait_for(lambda: deliver(message_id).outcome is Outcome.SENT)
    sent = message_of(mission_id, "opened")
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert len(inbox.to(email)) == 1


def test_server_that_does_not_answer_in_time_is_retried(
    mail_app: Flask, shop: Shop, inbox: Inbox
) -> None:
    _, mission_id, email = shop.register("Inès")
    message_id = message_of(mission_id, "opened").id
    mail_app.extensions["mailman"].timeout = 0.5
    inbox.hold = True
    try:
        started = time.monotonic()
        assert deliver(message_id).outcome is Outcome.RETRY
        assert time.monotonic() - started < 5, "MAIL_TIMEOUT bounds the wait"
    finally:
        mail_app.extensions["mailman"].timeout = 5.0
        inbox.release.set()
    assert "timed out" in message_of(mission_id, "opened").last_error

    wait_for(lambda: deliver(message_id).outcome is Outcome.SENT)
    assert len(inbox.to(email)) == 1


def test_unreachable_server_is_retried(mail_app: Flask, shop: Shop, inbox: Inbox) -> None:
    _, mission_id, _ = shop.register("Inès")
    mailman = mail_app.extensions["mailman"]
    port, mailman.port = mailman.port, 9  # the discard port: nothing listens
    try:
        assert deliver(message_of(mission_id, "opened").id).outcome is Outcome.RETRY
    finally:
        mailman.port = port
    assert message_of(mission_id, "opened").last_error.startswith("ConnectionRefusedError")


def test_claimed_message_is_not_claimed_again_until_its_lease_ends(
    mail_app: Flask, shop: Shop
) -> None:
    _, mission_id, _ = shop.register("Inès")
    message_id = message_of(mission_id, "opened").id
    mail_app.config["MESSAGE_LEASE_SECONDS"] = 2.0
    try:
        assert claim(message_id) == 1
        taken = time.monotonic()
        assert claim(message_id) is None, "a second worker (or the sweep) does not take it"
        assert deliver(message_id).outcome is Outcome.NOT_DUE
        wait_for(lambda: claim(message_id) == 2)  # its worker died: the lease ends
        assert time.monotonic() - taken >= 1.9
    finally:
        mail_app.config["MESSAGE_LEASE_SECONDS"] = 30.0


@pytest.fixture(scope="module")
def console_app(sibling_app) -> Flask:
    return sibling_app(HUEY_STORAGE="memory", MAIL_BACKEND="console")


def test_without_a_mail_server_the_console_prints_the_message(
    console_app: Flask, shop: Shop, capfd
) -> None:
    _, mission_id, email = shop.register("Inès")
    with console_app.app_context():
        assert deliver(message_of(mission_id, "opened").id).outcome is Outcome.SENT
        db.session.remove()
    printed = capfd.readouterr().out
    assert f"To: {email}" in printed and "List-Unsubscribe:" in printed
    assert "Bonjour" in printed
