"""A shop's notifications: the bell's count in the menu, the notifications page, marking read.

Through real requests with CSRF tokens: an admin opening a mission for a shop reaches that shop's
partner and staff, never another shop; marking read takes exactly the rows marked off the count,
even with two clicks at once; another shop's notification answers 404 by every URL; the bell costs
no query on any page and the page's queries do not grow with its rows."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from admin_app.data.messaging import MessageStatus, Notification, NotificationKind, OutboxMessage
from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.domain.errors import NotAllowed, NotificationNotFound
from admin_app.domain.notifications import mark_all_read, mark_read, unread_count
from admin_app.domain.outbox import notify_shop
from admin_app.domain.scoping import scope_filter
from admin_app.extensions import db
from tests.conftest import Account, World, log_in, post_with_csrf
from tests.test_query_counts import counted_queries
from tests.test_transitions import run_in_threads

BELL_COUNT = re.compile(r'data-testid="bell-count">([^<]+)<')
BELL_LABEL = re.compile(r'aria-label="([^"]*)"[^>]*data-testid="bell"')
NOTIFICATION_IDS = re.compile(r'name="id" value="(\d+)"')


def bell(page: str) -> str | None:
    """The bell's badge on ``page``: its number, "" when the bell shows no badge, None when
    there is no bell."""
    if 'data-testid="bell"' not in page:
        return None
    found = BELL_COUNT.search(page)
    return found.group(1) if found else ""


def bell_of(client: FlaskClient, url: str = "/admin/") -> str | None:
    return bell(client.get(url).get_data(as_text=True))


def notify(app: Flask, partner_id: int, count: int = 1, **fields: object) -> list[int]:
    """``count`` notifications of a mission opened for the shop ``partner_id``, committed."""
    with app.app_context():
        for _ in range(count):
            notify_shop(partner_id, NotificationKind.MISSION_OPENED, **fields)
        db.session.commit()
        ids = db.session.scalars(
            select(Notification.id).where(Notification.partner_id == partner_id)
        ).all()
    return sorted(ids)[-count:]


def unread_of(app: Flask, partner_id: int) -> int:
    with app.app_context():
        return db.session.get_one(User, partner_id).unread_notifications


def logged_in(app: Flask, account: Account) -> FlaskClient:
    client = app.test_client()
    log_in(client, account)
    return client


def test_mission_opened_by_an_admin_shows_in_the_shops_bell_and_list_only(app, client, world):
    log_in(client, world.admin)
    opened = post_with_csrf(client, f"/admin/clients/new-mission/?id={world.a_client}", {})
    assert opened.status_code == 302
    words = f"Mission for Alice Test opened by {world.admin.email}"

    for account in (world.partner_a, world.staff_a):
        shop = logged_in(app, account)
        assert bell_of(shop) == "1"
        page = shop.get("/admin/notifications/").get_data(as_text=True)
        assert words in page and 'data-testid="unread"' in page
        assert "Open the mission" in page
    for account in (world.partner_b, world.staff_b):
        other = logged_in(app, account)
        assert bell_of(other) == ""
        assert words not in other.get("/admin/notifications/").get_data(as_text=True)


def test_mission_opened_by_the_shop_itself_notifies_nobody(app, client, world):
    log_in(client, world.staff_a)
    assert post_with_csrf(client, f"/admin/clients/new-mission/?id={world.a_client}", {})
    assert bell_of(client) == ""
    assert unread_of(app, world.partner_a.id) == 0


def test_mark_read_and_mark_all_read_update_the_count_for_the_whole_shop(app, client, world):
    ids = notify(app, world.partner_a.id, 3, client_id=world.a_client, mission_id=world.a_mission)
    log_in(client, world.partner_a)
    staff = logged_in(app, world.staff_a)

    answer = post_with_csrf(
        client, "/admin/notifications/read/", {"id": ids[0], "url": "/admin/notifications/"}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/notifications/"
    assert bell_of(client) == "2" and bell_of(staff) == "2"
    # Read already: nothing more comes off.
    post_with_csrf(staff, "/admin/notifications/read/", {"id": ids[0]})
    assert unread_of(app, world.partner_a.id) == 2

    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert sorted(map(int, NOTIFICATION_IDS.findall(page))) == ids[1:]  # "Mark as read" buttons
    done = post_with_csrf(staff, "/admin/notifications/read-all/", {})
    assert done.status_code == 302
    page = staff.get("/admin/notifications/").get_data(as_text=True)
    assert "2 notifications marked as read." in page
    assert bell(page) == "" and 'data-testid="mark-all-read"' not in page
    assert 'data-testid="unread"' not in page and "Mark as read" not in page
    assert unread_of(app, world.partner_a.id) == 0
    with app.app_context():
        unread = db.session.scalars(select(Notification).where(Notification.read_at.is_(None)))
        assert unread.all() == []


def test_mark_all_read_leaves_other_shops_untouched(app, client, world):
    notify(app, world.partner_a.id, 2)
    notify(app, world.partner_b.id, 3)
    log_in(client, world.partner_a)

    post_with_csrf(client, "/admin/notifications/read-all/", {})

    assert unread_of(app, world.partner_a.id) == 0
    assert unread_of(app, world.partner_b.id) == 3
    assert bell_of(logged_in(app, world.staff_b)) == "3"


def test_partner_cannot_open_other_partners_notification(app, client, world):
    (foreign,) = notify(app, world.partner_a.id, client_id=world.a_client)
    log_in(client, world.partner_b)
    (own,) = notify(app, world.partner_b.id)
    refused = [
        client.get(f"/admin/notifications/details/?id={foreign}"),
        client.get(f"/admin/notifications/edit/?id={foreign}"),
        post_with_csrf(client, "/admin/notifications/read/", {"id": foreign}),
        post_with_csrf(client, "/admin/notifications/delete/", {"id": foreign}),
        post_with_csrf(client, "/admin/notifications/action/", {"action": "delete",
                                                                 "rowid": foreign}),
        post_with_csrf(client, "/admin/notifications/ajax/update/",
                       {"list_form_pk": foreign, "read_at": ""}),
        client.get("/admin/notifications/ajax/lookup/?name=partner&query=a"),
        post_with_csrf(client, "/admin/notifications/read/", {"id": 999_999}),
        post_with_csrf(client, "/admin/notifications/read/", {"id": "1,2"}),
        client.get("/admin/notifications/details/?id=x"),
    ]  # fmt: skip

    assert [answer.status_code for answer in refused] == [404] * len(refused)
    assert client.get(f"/admin/notifications/details/?id={own}").status_code == 200
    assert unread_of(app, world.partner_a.id) == 1
    with app.app_context():
        assert db.session.get_one(Notification, foreign).read_at is None
        targets = db.session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == "access.refused")
        ).all()
    assert targets and set(targets) == {f"notification:{foreign}"}


def test_domain_refuses_another_shops_or_an_unknown_notification(ctx, world):
    (foreign,) = notify(ctx, world.partner_a.id)
    partner_b = db.session.get_one(User, world.partner_b.id)

    for notification_id in (foreign, foreign + 1000):
        with pytest.raises(NotificationNotFound):
            mark_read(notification_id, partner_b)

    assert db.session.get_one(User, world.partner_a.id).unread_notifications == 1


@pytest.mark.parametrize("role", ["admin", "support"])
def test_admins_and_support_cannot_mark_a_shops_notification_read(ctx, world, role):
    (note,) = notify(ctx, world.partner_a.id)
    user = db.session.get_one(User, getattr(world, role).id)

    with pytest.raises(NotAllowed):
        mark_read(note, user)
    with pytest.raises(NotAllowed):
        mark_all_read(user)

    assert unread_count(user) is None
    assert db.session.get_one(User, world.partner_a.id).unread_notifications == 1


def test_admin_reads_every_shops_notifications_and_support_none(app, client, world):
    notify(app, world.partner_a.id, client_id=world.a_client)
    notify(app, world.partner_b.id, client_id=world.b_client)
    log_in(client, world.admin)

    page = client.get("/admin/notifications/").get_data(as_text=True)

    assert "Mission for Alice Test" in page and "Mission for Bruno Test" in page
    assert world.partner_a.email in page  # the Shop column
    assert bell(page) is None and "Mark as read" not in page and "Mark all as read" not in page
    assert post_with_csrf(client, "/admin/notifications/read-all/", {}).status_code == 403
    support = logged_in(app, world.support)
    assert support.get("/admin/notifications/").status_code == 403
    assert bell_of(support) is None
    assert unread_of(app, world.partner_a.id) == 1


def test_scope_shows_the_shop_its_own_admins_all_and_support_none(ctx, world):
    (of_a,) = notify(ctx, world.partner_a.id)
    (of_b,) = notify(ctx, world.partner_b.id)

    def seen_by(account: Account) -> list[int]:
        user = db.session.get_one(User, account.id)
        return sorted(
            db.session.scalars(select(Notification.id).where(scope_filter(Notification, user)))
        )

    assert seen_by(world.partner_a) == seen_by(world.staff_a) == [of_a]
    assert seen_by(world.staff_b) == [of_b]
    assert seen_by(world.admin) == [of_a, of_b]
    assert seen_by(world.support) == []


def test_two_clicks_at_once_take_one_off_the_count(ctx, world):
    (note,) = notify(ctx, world.partner_a.id)
    notify(ctx, world.partner_a.id)
    db.session.remove()
    both_ready = threading.Barrier(2, timeout=10)

    def hold_updates(conn, cursor, statement, parameters, context, executemany):
        """Both clicks reach the UPDATE before either writes: a true race."""
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATION"):
            both_ready.wait()

    def click(user_id: int) -> Callable[[], object]:
        return lambda: mark_read(note, db.session.get_one(User, user_id))

    event.listen(db.engine, "before_cursor_execute", hold_updates)
    try:
        results = run_in_threads(ctx, [click(world.partner_a.id), click(world.staff_a.id)])
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_updates)

    assert sorted(results) == [False, True], results
    assert db.session.get_one(User, world.partner_a.id).unread_notifications == 1


def test_mark_all_read_racing_mark_read_counts_each_row_once(ctx, world):
    ids = notify(ctx, world.partner_a.id, 4)
    db.session.remove()
    both_ready = threading.Barrier(2, timeout=10)

    def hold_updates(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATION"):
            both_ready.wait()

    results = []
    event.listen(db.engine, "before_cursor_execute", hold_updates)
    try:
        results = run_in_threads(
            ctx,
            [
                lambda: mark_read(ids[0], db.session.get_one(User, world.staff_a.id)),
                lambda: mark_all_read(db.session.get_one(User, world.partner_a.id)),
            ],
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_updates)

    assert results[0] is True and results[1] == 3 or results[0] is False and results[1] == 4
    assert db.session.get_one(User, world.partner_a.id).unread_notifications == 0


def failed_message(app: Flask, world: World, error: str) -> str:
    """A message to Alice about her mission that the worker gave up on, and the shop's
    notification of it."""
    with app.app_context():
        message = OutboxMessage(
            partner_id=world.partner_a.id,
            client_id=world.a_client,
            mission_id=world.a_mission,
            event="opened",
            status=MessageStatus.FAILED.value,
            attempts=5,
            last_error=error,
        )
        db.session.add(message)
        db.session.flush()
        notify_shop(
            world.partner_a.id,
            NotificationKind.MESSAGE_FAILED,
            client_id=world.a_client,
            mission_id=world.a_mission,
            outbox_id=message.id,
        )
        db.session.commit()
        return message.id


def test_failed_message_notification_says_why_escaped(app, client, world):
    failed_message(app, world, "550 <script>alert(1)</script> mailbox unavailable")
    log_in(client, world.partner_a)

    page = client.get("/admin/notifications/").get_data(as_text=True)

    words = (
        f"The email to Alice Test about mission {world.a_mission[:8]} could not be sent: "
        "550 &lt;script&gt;alert(1)&lt;/script&gt; mailbox unavailable"
    )
    assert words in page and "<script>alert(1)" not in page
    assert f"/admin/missions/details/?id={world.a_mission}" in page


def test_notifications_page_in_french(app, client, world):
    failed_message(app, world, "550 unknown user")
    with app.app_context():
        db.session.execute(
            update(User).where(User.id == world.partner_a.id).values(unread_notifications=150)
        )
        db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    log_in(client, world.partner_a)

    page = client.get("/admin/notifications/").get_data(as_text=True)

    assert "L’e-mail à Alice Test au sujet de la mission" in page
    assert "n’a pas pu être envoyé : 550 unknown user" in page
    assert "Tout marquer comme lu" in page and "Marquer comme lu" in page
    assert bell(page) == "99+"
    assert BELL_LABEL.search(page).group(1) == "Notifications : 150 non lues"


def test_bell_hidden_at_zero_and_capped_past_99(app, client, world):
    log_in(client, world.staff_a)
    label = BELL_LABEL.search(client.get("/admin/clients/").get_data(as_text=True)).group(1)
    assert label == "Notifications: none unread"
    assert bell_of(client) == ""

    for count, shown in ((1, "1"), (99, "99"), (100, "99+")):
        with app.app_context():
            db.session.execute(
                update(User).where(User.id == world.partner_a.id).values(unread_notifications=count)
            )
            db.session.commit()
        page = client.get("/change").get_data(as_text=True)
        assert bell(page) == shown
        assert BELL_LABEL.search(page).group(1) == f"Notifications: {count} unread"


def test_empty_state_and_pagination(app, client, world):
    log_in(client, world.partner_a)
    empty = client.get("/admin/notifications/").get_data(as_text=True)
    assert 'data-testid="empty-state"' in empty and "No notification yet" in empty
    assert 'data-testid="mark-all-read"' not in empty

    notify(app, world.partner_a.id, 25, client_id=world.a_client)
    first = client.get("/admin/notifications/").get_data(as_text=True)
    second = client.get("/admin/notifications/?page=1").get_data(as_text=True)

    first_ids = NOTIFICATION_IDS.findall(first)
    second_ids = NOTIFICATION_IDS.findall(second)
    assert (len(first_ids), len(second_ids)) == (20, 5)
    # Newest first: the highest ids (made last, same second) on the first page.
    assert sorted(map(int, first_ids + second_ids), reverse=True) == list(
        map(int, first_ids + second_ids)
    )


NOTIFICATION_PAGES = [
    "/admin/notifications/",
    "/admin/notifications/?page=1",
    "/admin/notifications/?page_size=100",
]


@pytest.mark.parametrize("role", ["partner_a", "staff_a", "admin"])
def test_notifications_page_costs_the_same_with_25_and_80_rows(app, client, world, role):
    log_in(client, getattr(world, role))

    def counts() -> dict[str, int]:
        result = {}
        for page in NOTIFICATION_PAGES:
            with counted_queries(app) as statements:
                assert client.get(page).status_code == 200
            result[page] = len(statements)
        return result

    notify(app, world.partner_a.id, 24, client_id=world.a_client, mission_id=world.a_mission)
    failed_message(app, world, "refused")
    few = counts()
    notify(app, world.partner_a.id, 55, client_id=world.a_client, mission_id=world.a_mission)
    many = counts()

    assert few == many
    assert max(many.values()) <= 3, many


EXISTING_PAGES = ["/admin/", "/admin/clients/", "/admin/missions/", "/admin/board/",
                  "/admin/search/?q=Alice", "/change"]  # fmt: skip
NOTIFICATION_TABLE = re.compile(r'\b(FROM|JOIN)\s+"?notification\b', re.IGNORECASE)


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.STAFF])
def test_bell_costs_no_query_on_any_page(app, client, world, role):
    """The count comes with the account (a staff account's shop is joined with it): the pages
    cost as many queries with the bell at 0 as at 40, and none reads a notification."""
    log_in(client, world.partner_a if role is RoleName.PARTNER else world.staff_a)

    def counts() -> dict[str, int]:
        result = {}
        for page in EXISTING_PAGES:
            with counted_queries(app) as statements:
                assert client.get(page).status_code == 200
            assert not any(NOTIFICATION_TABLE.search(statement) for statement in statements)
            result[page] = len(statements)
        return result

    at_zero = counts()
    notify(app, world.partner_a.id, 40)
    at_forty = counts()

    assert at_zero == at_forty
    assert bell_of(client) == "40"
