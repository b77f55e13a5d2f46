"""The admins' failed-messages page: the outbox rows the worker gave up on, newest first, and
"Retry" (one row or the batch), which makes them due again and hands them to the worker once
committed; a message not failed any more is refused and nothing changes."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from admin_app.data.db_types import utcnow
from admin_app.data.messaging import MessageStatus, OutboxMessage
from admin_app.data.models import AuditEvent, User
from admin_app.domain.errors import MessagesNotFailed, NotAllowed
from admin_app.domain.failed_messages import retry_messages
from admin_app.domain.outbox import DISPATCH_KEY
from admin_app.extensions import db
from tests.conftest import World, log_in, post_with_csrf
from tests.test_query_counts import counted_queries

RETRY_IDS = re.compile(r'<input type="hidden" name="id" value="([0-9a-f-]{36})">')


def add_message(
    app: Flask,
    world: World,
    *,
    status: MessageStatus = MessageStatus.FAILED,
    error: str = "550 mailbox unavailable",
    age_minutes: int = 0,
    partner: str = "a",
) -> str:
    """An outbox message about the shop's first mission, as the worker leaves it."""
    with app.app_context():
        message = OutboxMessage(
            partner_id=getattr(world, f"partner_{partner}").id,
            client_id=getattr(world, f"{partner}_client"),
            mission_id=getattr(world, f"{partner}_mission"),
            event="started",
            status=status.value,
            attempts=5,
            last_error=error,
            created_at=utcnow() - timedelta(minutes=age_minutes),
            next_attempt_at=utcnow() + timedelta(hours=1),
        )
        db.session.add(message)
        db.session.commit()
        return message.id


@pytest.fixture
def handed_over(app: Flask) -> list[list[str]]:
    """What the worker is handed after each commit (a recording function in its place)."""
    received: list[list[str]] = []
    app.extensions[DISPATCH_KEY] = received.append
    yield received
    app.extensions.pop(DISPATCH_KEY, None)


def message_row(app: Flask, message_id: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.get_one(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def test_page_lists_failed_messages_newest_first(app, client, world):
    older = add_message(app, world, age_minutes=30, error="421 try later")
    newer = add_message(app, world, partner="b", error="550 <b>no such user</b>")
    add_message(app, world, status=MessageStatus.PENDING)
    add_message(app, world, status=MessageStatus.SENT)
    log_in(client, world.admin)

    page = client.get("/admin/failed-messages/").get_data(as_text=True)

    assert RETRY_IDS.findall(page) == [newer, older]
    assert f"/admin/clients/details/?id={world.a_client}" in page and "Alice Test" in page
    assert f"/admin/missions/details/?id={world.b_mission}" in page and world.b_mission[:8] in page
    assert "Mission started" in page and "421 try later" in page
    assert "550 &lt;b&gt;no such user&lt;/b&gt;" in page and "<b>no such user" not in page
    assert world.partner_b.email in page  # the Shop column
    assert "List (2)" in page


def test_empty_page_says_nothing_failed(client, world):
    log_in(client, world.admin)

    page = client.get("/admin/failed-messages/").get_data(as_text=True)

    assert 'data-testid="empty-state"' in page and "No failed message" in page


def test_retry_button_makes_the_message_due_and_hands_it_over(app, client, world, handed_over):
    message_id = add_message(app, world)
    other = add_message(app, world)
    log_in(client, world.admin)
    before = utcnow()

    answer = post_with_csrf(
        client,
        "/admin/failed-messages/retry/",
        {"id": message_id, "url": "/admin/failed-messages/"},
    )

    assert answer.status_code == 302
    row = message_row(app, message_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert before - timedelta(seconds=1) <= row.next_attempt_at <= utcnow()
    assert handed_over == [[message_id]]
    assert message_row(app, other).status == "failed"
    page = client.get("/admin/failed-messages/").get_data(as_text=True)
    assert "1 message will be sent again." in page
    assert RETRY_IDS.findall(page) == [other]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "message.retry"))
        (recorded,) = events.all()
    assert json.loads(recorded.details) == {"messages": [message_id]}
    assert recorded.actor_email == world.admin.email


def test_batch_retry_hands_every_chosen_message_over(app, client, world, handed_over):
    chosen = sorted(add_message(app, world) for _ in range(3))
    left = add_message(app, world)
    log_in(client, world.admin)

    answer = post_with_csrf(
        client, "/admin/failed-messages/action/", {"action": "retry", "rowid": chosen}
    )

    assert answer.status_code == 302
    assert [message_row(app, message_id).status for message_id in chosen] == ["pending"] * 3
    assert message_row(app, left).status == "failed"
    assert handed_over == [chosen]
    assert "3 messages will be sent again." in client.get("/admin/").get_data(as_text=True)


def test_retry_of_a_message_not_failed_any_more_changes_nothing(app, client, world, handed_over):
    failed = add_message(app, world)
    sent = add_message(app, world, status=MessageStatus.SENT)
    log_in(client, world.admin)

    answer = post_with_csrf(
        client, "/admin/failed-messages/action/", {"action": "retry", "rowid": [failed, sent]}
    )
    again = post_with_csrf(client, "/admin/failed-messages/retry/", {"id": sent})

    assert answer.status_code == again.status_code == 302
    page = client.get("/admin/failed-messages/").get_data(as_text=True)
    assert f"Nothing retried: message {sent[:8]} is not failed any more" in page
    assert message_row(app, failed).status == "failed"
    assert message_row(app, sent).status == "sent"
    assert handed_over == []
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "message.retry"))
            is None
        )


def test_second_retry_of_one_message_is_refused(ctx, world, handed_over):
    message_id = add_message(ctx, world)
    admin = db.session.get_one(User, world.admin.id)

    assert retry_messages([message_id], admin) == [message_id]
    with pytest.raises(MessagesNotFailed) as refused:
        retry_messages([message_id, "not-an-id"], admin)

    assert refused.value.refused == ["not-an-id"]
    with pytest.raises(MessagesNotFailed) as refused:
        retry_messages([message_id], admin)
    assert refused.value.refused == [message_id]
    assert handed_over == [[message_id]]


@pytest.mark.parametrize("role", ["partner_a", "staff_a", "support"])
def test_only_admins_retry(ctx, world, role):
    message_id = add_message(ctx, world)

    with pytest.raises(NotAllowed):
        retry_messages([message_id], db.session.get_one(User, getattr(world, role).id))

    assert db.session.get_one(OutboxMessage, message_id).status == "failed"


@pytest.mark.parametrize("role", ["partner_a", "staff_a", "support"])
def test_non_admins_get_403_and_change_nothing(app, client, world, role, handed_over):
    message_id = add_message(app, world)
    log_in(client, getattr(world, role))

    answers = [
        client.get("/admin/failed-messages/"),
        post_with_csrf(client, "/admin/failed-messages/retry/", {"id": message_id}),
        post_with_csrf(
            client, "/admin/failed-messages/action/", {"action": "retry", "rowid": message_id}
        ),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert message_row(app, message_id).status == "failed" and handed_over == []
    assert "/admin/failed-messages/" not in client.get("/admin/").get_data(as_text=True)


def test_anonymous_goes_to_the_login_page(client, world):
    answer = client.get("/admin/failed-messages/")

    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_menu_offers_the_page_to_admins(client, world):
    log_in(client, world.admin)

    page = client.get("/admin/clients/").get_data(as_text=True)

    assert 'href="/admin/failed-messages/"' in page and "Failed messages" in page
    failed = client.get("/admin/failed-messages/").get_data(as_text=True)
    assert 'href="/admin/notifications/"' in failed and "Every shop's notifications" in failed


FAILED_PAGES = [
    "/admin/failed-messages/",
    "/admin/failed-messages/?page=1",
    "/admin/failed-messages/?page_size=100",
]


def test_page_costs_the_same_with_25_and_80_failed_messages(app, client, world):
    log_in(client, world.admin)

    def counts() -> dict[str, int]:
        result = {}
        for page in FAILED_PAGES:
            with counted_queries(app) as statements:
                assert client.get(page).status_code == 200
            result[page] = len(statements)
        return result

    for index in range(25):
        add_message(app, world, partner="ab"[index % 2])
    few = counts()
    for index in range(55):
        add_message(app, world, partner="ab"[index % 2])
    many = counts()

    assert few == many
    assert max(many.values()) <= 4, many
