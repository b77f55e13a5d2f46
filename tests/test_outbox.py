"""The outbox is written by the domain, in the transaction of the change it tells of: with the
client's email consent only, never by a change that rolls back; the shop is notified of a
mission someone outside it opened."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from admin_app.data.messaging import ClientConsent, Notification, OutboxMessage
from admin_app.data.models import CancelReason, RoleName, User
from admin_app.domain.consent import (
    WithdrawalLinkExpired,
    WithdrawalLinkInvalid,
    add_consent,
    consent_in_force,
    end_consent,
    withdraw_by_link,
    withdrawal_token,
)
from admin_app.domain.errors import TransitionRefused, ValidationError
from admin_app.domain.missions import (
    apply_transition,
    cancel_missions,
    open_mission,
    register_walk_in_client,
)
from admin_app.domain.outbox import DISPATCH_KEY
from admin_app.extensions import db

FIELDS = {"first_name": "Inès", "last_name": "Roy", "email": "ines@example.com",
          "phone": "+33612345678"}  # fmt: skip


def _messages() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(OutboxMessage.event, OutboxMessage.status).order_by(OutboxMessage.created_at)
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def partner(make_user) -> User:
    return make_user(RoleName.PARTNER)


def test_registration_with_consent_queues_the_opened_message(partner: User) -> None:
    client, mission = register_walk_in_client(partner, email_consent=True, **FIELDS)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.event, message.status, message.mission_id) == ("opened", "pending", mission.id)
    assert message.client_id == client.id and message.partner_id == partner.id
    consent = consent_in_force(client.id)
    assert consent is not None and consent.given_by_email == partner.email


def test_registration_without_consent_queues_nothing(partner: User) -> None:
    client, mission = register_walk_in_client(partner, **FIELDS)
    apply_transition(mission.id, partner, "start")
    assert _messages() == []
    assert consent_in_force(client.id) is None


def test_each_transition_queues_its_message(partner: User) -> None:
    _, first = register_walk_in_client(partner, email_consent=True, **FIELDS)
    _, second = register_walk_in_client(partner, email_consent=True, **FIELDS)
    apply_transition(first.id, partner, "start")
    apply_transition(first.id, partner, "complete")
    cancel_missions([second.id], partner, CancelReason.CLIENT_LEFT.value)
    events = sorted(event for event, _ in _messages())
    assert events == ["cancelled", "completed", "opened", "opened", "started"]


def test_refused_transition_queues_nothing(partner: User) -> None:
    _, mission = register_walk_in_client(partner, email_consent=True, **FIELDS)
    apply_transition(mission.id, partner, "start")
    with pytest.raises(TransitionRefused):
        apply_transition(mission.id, partner, "start")
    assert sorted(event for event, _ in _messages()) == ["opened", "started"]


def test_transition_that_rolls_back_leaves_no_message(partner: User, app) -> None:
    _, mission = register_walk_in_client(partner, email_consent=True, **FIELDS)
    handed_over: list[list[str]] = []
    app.extensions[DISPATCH_KEY] = handed_over.append
    engine = db.engine

    def fail_after_the_outbox(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE PARTNER_TALLY"):
            raise RuntimeError("the database went away")

    event.listen(engine, "before_cursor_execute", fail_after_the_outbox)
    try:
        with pytest.raises(Exception, match="went away"):
            apply_transition(mission.id, partner, "start")
    finally:
        event.remove(engine, "before_cursor_execute", fail_after_the_outbox)
        db.session.rollback()
    assert _messages() == [("opened", "pending")]
    assert handed_over == []
    apply_transition(mission.id, partner, "start")
    app.extensions.pop(DISPATCH_KEY)
    assert len(handed_over) == 1 and len(handed_over[0]) == 1


def test_withdrawn_consent_stops_new_messages(partner: User) -> None:
    client, mission = register_walk_in_client(partner, email_consent=True, **FIELDS)
    assert end_consent(client.id, "panel", partner)
    db.session.commit()
    apply_transition(mission.id, partner, "start")
    assert _messages() == [("opened", "pending")]
    add_consent(client, partner)
    db.session.commit()
    apply_transition(mission.id, partner, "complete")
    assert sorted(event for event, _ in _messages()) == ["completed", "opened"]
    periods = db.session.scalars(select(ClientConsent).order_by(ClientConsent.id)).all()
    assert [period.withdrawn_via for period in periods] == ["panel", None]


def test_language_defaults_to_the_partners_and_is_checked(partner: User) -> None:
    partner.language = "fr"
    db.session.commit()
    client, _ = register_walk_in_client(partner, **FIELDS)
    assert client.language == "fr"
    client, _ = register_walk_in_client(partner, language="en", **FIELDS)
    assert client.language == "en"
    with pytest.raises(ValidationError) as refused:
        register_walk_in_client(partner, language="de", **FIELDS)
    assert set(refused.value.errors) == {"language"}


def test_mission_opened_by_an_admin_notifies_the_shop(partner: User, make_user) -> None:
    admin = make_user(RoleName.ADMIN)
    client, _ = register_walk_in_client(partner, **FIELDS)
    open_mission(client.id, partner)
    assert db.session.scalars(select(Notification)).all() == []
    mission = open_mission(client.id, admin)
    register_walk_in_client(partner, actor=admin, **FIELDS)
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(note.kind, note.partner_id) for note in notes] == [
        ("mission_opened", partner.id),
        ("mission_opened", partner.id),
    ]
    assert notes[0].mission_id == mission.id and notes[0].actor_email == admin.email
    db.session.refresh(partner)
    assert partner.unread_notifications == 2


def test_withdrawal_link_withdraws_once_and_is_recorded(partner: User) -> None:
    client, _ = register_walk_in_client(partner, email_consent=True, language="fr", **FIELDS)
    token = withdrawal_token(client.id)
    assert withdraw_by_link(token).id == client.id
    assert withdraw_by_link(token).language == "fr"
    period = db.session.scalars(select(ClientConsent)).one()
    assert period.withdrawn_via == "link" and period.withdrawn_at is not None


def test_forged_or_expired_withdrawal_link_is_refused(partner: User, app) -> None:
    client, _ = register_walk_in_client(partner, email_consent=True, language="fr", **FIELDS)
    token = withdrawal_token(client.id)
    with pytest.raises(WithdrawalLinkInvalid):
        withdraw_by_link(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    app.config["UNSUBSCRIBE_LINK_MAX_AGE"] = -1
    try:
        with pytest.raises(WithdrawalLinkExpired) as expired:
            withdraw_by_link(token)
    finally:
        app.config["UNSUBSCRIBE_LINK_MAX_AGE"] = 180 * 24 * 3600
    assert expired.value.language == "fr"
    assert consent_in_force(client.id) is not None
