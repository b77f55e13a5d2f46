"""Who reaches what: every URL of every view, for each role, on a row of partner A.

Staff of shop A act on A's rows as partner A does, staff of shop B as partner B (404), unless a
case says otherwise (``staff``: account management is never theirs). A row a user may not see
answers 404 by any path; a page whose action the role may not take
answers 403; an anonymous visitor is sent to the login page. After every refused POST the
database is exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from admin_app.data.api_keys import ApiKey
from admin_app.data.invoicing import Invoice, ShopLogo, ShopProfile
from admin_app.data.messaging import MessageStatus, Notification, NotificationKind, OutboxMessage
from admin_app.data.models import Client, Mission, MissionEvent, MissionNote, RoleName, User
from admin_app.domain.api_keys import make_api_key
from admin_app.domain.invoices import issue_invoice
from admin_app.domain.outbox import notify_shop
from admin_app.extensions import db
from tests.attachment_files import png_bytes
from tests.conftest import World, log_in, post_with_csrf
from tests.invoice_support import add_profile, another_completed_mission, completed_client

ROLES = ("anonymous", "partner_a", "partner_b", "support", "admin", "staff_a", "staff_b")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str
    data: dict[str, object] | None
    # expected status for partner_a, partner_b, support, admin (anonymous: always 302 to login)
    expected: tuple[int, int, int, int]
    # expected for staff of shop A and of shop B, when not those of partner_a and partner_b
    staff: tuple[int, int] | None = None

    def expected_for(self, role: str) -> int:
        if role.startswith("staff_"):
            own, other = self.staff or self.expected[:2]
            return own if role == "staff_a" else other
        return self.expected[ROLES.index(role) - 1]


CLIENT_FIELDS = {
    "first_name": "Alicia",
    "last_name": "Test",
    "email": "alicia@example.com",
    "phone": "+33612345678",
}

SERVICE_FIELDS = {
    "name_en": "Repair",
    "name_fr": "Réparation",
    "price_amount": "10.00",
    "price_currency": "EUR",
    "duration_minutes": "30",
}

PROFILE_FIELDS = {"legal_name": "Atelier A", "address": "1 rue A\nParis", "version": "1"}

#: Partners name no owner (their keys are their own); an admin names itself.
API_KEY_FIELDS = {"name": "Door tablet", "scope": "read", "owner": "{admin.id}"}

CASES = [
    Case("dashboard", "GET", "/admin/", None, (200, 200, 200, 200)),
    Case("dashboard json", "GET", "/admin/figures.json", None, (200, 200, 200, 200)),
    Case("board", "GET", "/admin/board/", None, (200, 200, 200, 200)),
    Case("board columns", "GET", "/admin/board/columns/", None, (200, 200, 200, 200)),
    Case("board of partner a", "GET", "/admin/board/?partner={partner_a.id}", None,
         (200, 200, 200, 200)),
    Case("clients list", "GET", "/admin/clients/", None, (200, 200, 200, 200)),
    Case("client details", "GET", "/admin/clients/details/?id={a_client}", None, (200, 404, 200, 200)),
    Case("client edit form", "GET", "/admin/clients/edit/?id={a_client}", None, (200, 404, 403, 200)),
    Case("client edit save", "POST", "/admin/clients/edit/?id={a_client}", CLIENT_FIELDS, (302, 404, 403, 302)),
    Case("client new form", "GET", "/admin/clients/new/", None, (200, 200, 403, 200)),
    Case("client delete", "POST", "/admin/clients/delete/", {"id": "{a_client}"}, (302, 404, 403, 302)),
    Case("client batch delete", "POST", "/admin/clients/action/",
         {"action": "delete", "rowid": "{a_client}"}, (302, 404, 403, 302)),
    Case("client export", "GET", "/admin/clients/export/csv/", None, (200, 200, 403, 200)),
    Case("client inline edit", "POST", "/admin/clients/ajax/update/",
         {"list_form_pk": "{a_client}", "city": "Nice"}, (404, 404, 403, 404)),
    Case("client ajax lookup", "GET", "/admin/clients/ajax/lookup/?name=partner&query=a", None,
         (404, 404, 404, 404)),
    Case("client duplicates check", "GET", "/admin/clients/duplicates/?phone=0612345678&partner=1",
         None, (200, 200, 200, 200)),
    Case("client reveal", "POST", "/admin/clients/reveal/", {"id": "{a_client}"}, (200, 404, 200, 200)),
    Case("client merge form", "GET", "/admin/clients/merge/?id={a_client}", None, (403, 403, 403, 200)),
    Case("client merge", "POST", "/admin/clients/merge/", {"id": "{a_client}", "keep_id": "{b_client}"},
         (403, 403, 403, 302)),
    Case("client new mission form", "GET", "/admin/clients/new-mission/?id={a_client}", None,
         (200, 404, 403, 200)),
    Case("client new mission open", "POST", "/admin/clients/new-mission/?id={a_client}", {},
         (302, 404, 403, 302)),
    Case("missions list", "GET", "/admin/missions/", None, (200, 200, 200, 200)),
    Case("mission details", "GET", "/admin/missions/details/?id={a_mission}", None, (200, 404, 200, 200)),
    Case("mission edit form", "GET", "/admin/missions/edit/?id={a_mission}", None, (404, 404, 403, 404)),
    Case("mission edit save", "POST", "/admin/missions/edit/?id={a_mission}",
         {"status": "completed"}, (404, 404, 403, 404)),
    Case("mission note", "POST", "/admin/missions/note/",
         {"id": "{a_mission}", "text": "called back"}, (302, 404, 403, 302)),
    Case("mission new form", "GET", "/admin/missions/new/", None, (404, 404, 403, 404)),
    Case("mission attachment upload without a file", "POST", "/admin/missions/attachments/?id={a_mission}",
         {}, (200, 404, 403, 200)),
    Case("mission attachment of no one", "GET", "/admin/missions/attachments/file/?id=nothing", None,
         (404, 404, 404, 404)),
    Case("search box", "GET", "/admin/search/?q=Alicia", None, (200, 200, 200, 200)),
    Case("mission delete", "POST", "/admin/missions/delete/", {"id": "{a_mission}"}, (404, 404, 403, 404)),
    Case("mission start button", "POST", "/admin/missions/transition/",
         {"id": "{a_mission}", "action": "start"}, (302, 404, 403, 302)),
    Case("mission batch start", "POST", "/admin/missions/action/",
         {"action": "start", "rowid": "{a_mission}"}, (302, 404, 403, 302)),
    Case("mission batch complete", "POST", "/admin/missions/action/",
         {"action": "complete", "rowid": "{a_started_mission}"}, (302, 404, 403, 302)),
    Case("mission batch cancel", "POST", "/admin/missions/action/",
         {"action": "cancel", "rowid": "{a_mission}"}, (302, 404, 403, 302)),
    Case("mission cancel button", "POST", "/admin/missions/transition/",
         {"id": "{a_mission}", "action": "cancel"}, (302, 404, 403, 302)),
    Case("mission cancel page", "GET", "/admin/missions/cancel/?id={a_mission}", None,
         (200, 404, 403, 200)),
    Case("mission cancel", "POST", "/admin/missions/cancel/",
         {"id": "{a_mission}", "reason": "no_show"}, (302, 404, 403, 302)),
    Case("mission export", "GET", "/admin/missions/export/csv/", None, (200, 200, 403, 200)),
    Case("mission inline edit", "POST", "/admin/missions/ajax/update/",
         {"list_form_pk": "{a_mission}", "notes": "x"}, (404, 404, 403, 404)),
    Case("services list", "GET", "/admin/services/", None, (403, 403, 403, 200)),
    Case("service new form", "GET", "/admin/services/new/", None, (403, 403, 403, 200)),
    Case("service create", "POST", "/admin/services/new/", SERVICE_FIELDS, (403, 403, 403, 302)),
    Case("service delete, no such type", "POST", "/admin/services/delete/", {"id": "999"},
         (403, 403, 403, 404)),
    Case("accounts list", "GET", "/admin/accounts/", None, (403, 403, 403, 200)),
    Case("account new form", "GET", "/admin/accounts/new/", None, (403, 403, 403, 200)),
    Case("account edit form", "GET", "/admin/accounts/edit/?id={staff_a.id}", None,
         (403, 403, 403, 200)),
    Case("staff list", "GET", "/admin/staff/", None, (200, 200, 403, 403), (403, 403)),
    Case("staff new form", "GET", "/admin/staff/new/", None, (200, 200, 403, 403), (403, 403)),
    Case("staff create", "POST", "/admin/staff/new/", {"email": "new.staff@example.com"},
         (200, 200, 403, 403), (403, 403)),
    Case("staff reset form", "GET", "/admin/staff/reset-password/?id={staff_a.id}", None,
         (200, 404, 403, 403), (403, 403)),
    Case("staff reset", "POST", "/admin/staff/reset-password/?id={staff_a.id}", {"password": ""},
         (200, 404, 403, 403), (403, 403)),
    Case("staff deactivate", "POST", "/admin/staff/active/", {"id": "{staff_a.id}", "active": "0"},
         (302, 404, 403, 403), (403, 403)),
    # No such pages (Flask-Admin goes back to the list): staff accounts are never edited or
    # deleted here.
    Case("staff edit", "GET", "/admin/staff/edit/?id={staff_a.id}", None, (302, 302, 403, 403),
         (403, 403)),
    Case("staff delete", "POST", "/admin/staff/delete/", {"id": "{staff_a.id}"},
         (302, 302, 403, 403), (403, 403)),
    # Notifications: a shop's own, every shop's for admins to read, none for support.
    Case("notifications list", "GET", "/admin/notifications/", None, (200, 200, 403, 200)),
    Case("notification details", "GET", "/admin/notifications/details/?id={a_notification}",
         None, (200, 404, 403, 200)),
    Case("notification edit form", "GET", "/admin/notifications/edit/?id={a_notification}",
         None, (404, 404, 403, 404)),
    Case("notification delete", "POST", "/admin/notifications/delete/",
         {"id": "{a_notification}"}, (404, 404, 403, 404)),
    Case("notification batch action", "POST", "/admin/notifications/action/",
         {"action": "delete", "rowid": "{a_notification}"}, (404, 404, 403, 404)),
    Case("notification inline edit", "POST", "/admin/notifications/ajax/update/",
         {"list_form_pk": "{a_notification}", "read_at": ""}, (404, 404, 403, 404)),
    Case("notification mark read", "POST", "/admin/notifications/read/",
         {"id": "{a_notification}"}, (302, 404, 403, 403)),
    Case("notifications mark all read", "POST", "/admin/notifications/read-all/", {},
         (302, 302, 403, 403)),
    Case("failed messages list", "GET", "/admin/failed-messages/", None, (403, 403, 403, 200)),
    Case("failed message retry", "POST", "/admin/failed-messages/retry/",
         {"id": "{a_failed_message}"}, (403, 403, 403, 302)),
    Case("failed messages batch retry", "POST", "/admin/failed-messages/action/",
         {"action": "retry", "rowid": "{a_failed_message}"}, (403, 403, 403, 302)),
    Case("failed message details", "GET", "/admin/failed-messages/details/?id={a_failed_message}",
         None, (403, 403, 403, 404)),
    Case("reports", "GET", "/admin/reports/", None, (200, 200, 200, 200)),
    Case("reports csv", "GET", "/admin/reports/csv", None, (200, 200, 200, 200)),
    Case("reports of partner a", "GET", "/admin/reports/?partner={partner_a.id}", None,
         (200, 404, 200, 200)),
    Case("reports csv of partner a", "GET", "/admin/reports/csv?partner={partner_a.id}", None,
         (200, 404, 200, 200)),
    # Invoices: read by all who see the row, issued and credited by those who write, never
    # edited, deleted or exported by anyone.
    Case("invoices list", "GET", "/admin/invoices/", None, (200, 200, 200, 200)),
    Case("invoice details", "GET", "/admin/invoices/details/?id={a_invoice}", None,
         (200, 404, 200, 200)),
    Case("invoice pdf", "GET", "/admin/invoices/pdf/{a_invoice}", None, (200, 404, 200, 200)),
    Case("invoice pdf of no one", "GET", "/admin/invoices/pdf/nothing", None, (404, 404, 404, 404)),
    Case("invoice pdf without an id", "GET", "/admin/invoices/pdf/", None, (404, 404, 404, 404)),
    Case("invoice edit form", "GET", "/admin/invoices/edit/?id={a_invoice}", None,
         (404, 404, 403, 404)),
    Case("invoice edit save", "POST", "/admin/invoices/edit/?id={a_invoice}",
         {"buyer_name": "Changed"}, (404, 404, 403, 404)),
    Case("invoice new form", "GET", "/admin/invoices/new/", None, (404, 404, 403, 404)),
    Case("invoice delete", "POST", "/admin/invoices/delete/", {"id": "{a_invoice}"},
         (404, 404, 403, 404)),
    Case("invoice batch action", "POST", "/admin/invoices/action/",
         {"action": "delete", "rowid": "{a_invoice}"}, (404, 404, 403, 404)),
    Case("invoice inline edit", "POST", "/admin/invoices/ajax/update/",
         {"list_form_pk": "{a_invoice}", "buyer_name": "x"}, (404, 404, 403, 404)),
    Case("invoice export", "GET", "/admin/invoices/export/csv/", None, (404, 404, 403, 404)),
    Case("invoice issue", "POST", "/admin/invoices/issue/",
         {"client_id": "{i_client}", "mission": "{i_mission}"}, (302, 404, 403, 302)),
    Case("invoice credit note", "POST", "/admin/invoices/credit/",
         {"id": "{a_invoice}", "reason": "wrong"}, (302, 404, 403, 302)),
    # The shop profile: read by everyone who sees the shop, saved by its partner and admins
    # (staff and support: 403); another shop's answers 404 first.
    Case("shop profile", "GET", "/admin/shop-profile/", None, (200, 200, 200, 200)),
    Case("shop profile of partner a", "GET", "/admin/shop-profile/?partner={partner_a.id}", None,
         (200, 404, 200, 200)),
    Case("shop profile save", "POST", "/admin/shop-profile/?partner={partner_a.id}",
         PROFILE_FIELDS, (302, 404, 403, 302), (403, 404)),
    Case("shop profile save, no partner named", "POST", "/admin/shop-profile/?partner=999999",
         PROFILE_FIELDS, (404, 404, 404, 404)),
    Case("shop logo", "GET", "/admin/shop-profile/logo/{a_logo}", None, (200, 404, 200, 200)),
    Case("shop logo of no one", "GET", "/admin/shop-profile/logo/nothing", None,
         (404, 404, 404, 404)),
    # API keys: a shop's partner manages its own, admins every one; staff and support never
    # (403), another partner's key answers 404. With nothing waiting, the token page goes back
    # to the list.
    Case("api keys list", "GET", "/admin/api-keys/", None, (200, 200, 403, 200), (403, 403)),
    Case("api key new form", "GET", "/admin/api-keys/new/", None, (200, 200, 403, 200),
         (403, 403)),
    Case("api key create", "POST", "/admin/api-keys/new/", API_KEY_FIELDS,
         (302, 302, 403, 302), (403, 403)),
    Case("api key token page", "GET", "/admin/api-keys/created/", None, (302, 302, 403, 302),
         (403, 403)),
    Case("api key revoke form", "GET", "/admin/api-keys/revoke/?id={a_key}", None,
         (200, 404, 403, 200), (403, 403)),
    Case("api key revoke", "POST", "/admin/api-keys/revoke/", {"id": "{a_key}"},
         (302, 404, 403, 302), (403, 403)),
    Case("api key revoke, no such key", "POST", "/admin/api-keys/revoke/", {"id": "999999"},
         (404, 404, 403, 404), (403, 403)),
]  # fmt: skip


def snapshot() -> tuple[list, ...]:
    """Everything a refused request must leave untouched."""
    return (
        [tuple(row) for row in db.session.execute(select(Client.__table__).order_by(Client.id))],
        [tuple(row) for row in db.session.execute(select(Mission.__table__).order_by(Mission.id))],
        [tuple(row) for row in db.session.execute(select(MissionEvent.__table__))],
        [tuple(row) for row in db.session.execute(select(MissionNote.__table__))],
        [
            (u.id, u.active, u.unread_notifications)
            for u in db.session.scalars(select(User).order_by(User.id))
        ],
        [tuple(row) for row in db.session.execute(select(Notification.__table__))],
        [tuple(row) for row in db.session.execute(select(OutboxMessage.__table__))],
        [tuple(row) for row in db.session.execute(select(Invoice.__table__).order_by(Invoice.id))],
        [tuple(row) for row in db.session.execute(select(ShopProfile.__table__))],
        [tuple(row) for row in db.session.execute(select(ShopLogo.__table__))],
        [tuple(row) for row in db.session.execute(select(ApiKey.__table__).order_by(ApiKey.id))],
    )


@pytest.fixture
def names(app, world: World) -> dict[str, object]:
    """What the cases' URLs name: the world's rows, a notification of shop A (a mission an
    admin opened for it), a message to A's client that failed and an API key of A."""
    with app.app_context():
        message = OutboxMessage(
            partner_id=world.partner_a.id, client_id=world.a_client, mission_id=world.a_mission,
            event="opened", status=MessageStatus.FAILED.value, attempts=5, last_error="550",
        )  # fmt: skip
        db.session.add(message)
        db.session.flush()
        notify_shop(world.partner_a.id, NotificationKind.MISSION_OPENED, mission_id=world.a_mission)
        db.session.commit()
        notification = db.session.scalars(select(Notification.id)).one()
        logo = ShopLogo(partner_id=world.partner_a.id, media_type="image/png", content=png_bytes())
        db.session.add(logo)
        db.session.commit()
        add_profile(world.partner_a.id, logo_id=logo.id)
        i_client, billed = completed_client(world.partner_a.id, "Ivy")
        i_mission = another_completed_mission(world.partner_a.id, i_client, "9.00")
        partner_a = db.session.get_one(User, world.partner_a.id)
        invoice = issue_invoice(partner_a, i_client, [billed])
        key, _ = make_api_key(partner_a, partner_a, "Shop A kiosk", "checkin")
        return {
            **world.__dict__, "a_notification": notification, "a_failed_message": message.id,
            "a_invoice": invoice.id, "i_client": i_client, "i_mission": i_mission,
            "a_logo": logo.id, "a_key": key.id,
        }  # fmt: skip


def fill(value: object, names: dict[str, object]) -> object:
    return value.format(**names) if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_access_matrix(app, client, world, names, case, role):
    if role != "anonymous":
        log_in(client, getattr(world, role))
    url = fill(case.url, names)
    data = {key: fill(value, names) for key, value in (case.data or {}).items()}
    with app.app_context():
        before = snapshot()

    if case.method == "GET":
        response = client.get(url)
    else:
        response = post_with_csrf(client, url, data)

    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        expected = case.expected_for(role)
        assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if case.method == "POST" and response.status_code >= 400 or role == "anonymous":
        with app.app_context():
            assert snapshot() == before


def test_partner_b_list_and_export_never_show_partner_a_rows(client, world):
    log_in(client, world.partner_b)

    pages = [
        client.get(url).get_data(as_text=True)
        for url in (
            "/admin/clients/",
            "/admin/missions/",
            "/admin/clients/export/csv/",
            "/admin/missions/export/csv/",
            "/admin/clients/?search=Alice",
            "/admin/figures.json",
        )
    ]

    for page in pages:
        assert "alice@example.com" not in page and "arthur@example.com" not in page
    assert "bruno@example.com" in pages[0] and "bruno@example.com" in pages[1]


def test_partner_b_duplicate_check_never_offers_partner_a_clients(client, world):
    """Alice (partner A) and Bruno (partner B) share a phone; B names A as the partner."""
    log_in(client, world.partner_b)

    answer = client.get(
        "/admin/clients/duplicates/",
        query_string={"phone": "+33612345678", "email": "alice@example.com",
                      "first_name": "Alice", "last_name": "Test", "city": "Paris",
                      "partner": world.partner_a.id},
    )  # fmt: skip

    assert [c["id"] for c in answer.get_json()["candidates"]] == [world.b_client]
    assert "alice" not in answer.get_data(as_text=True).lower()


def test_partner_counts_only_its_own_rows(client, world):
    log_in(client, world.partner_b)

    page = client.get("/admin/clients/").get_data(as_text=True)

    assert "List (1)" in page


def test_batch_with_one_foreign_id_changes_nothing(app, client, world):
    log_in(client, world.partner_b)

    response = post_with_csrf(
        client,
        "/admin/missions/action/",
        {"action": "start", "rowid": [world.b_mission, world.a_mission]},
    )

    assert response.status_code == 404
    with app.app_context():
        statuses = db.session.scalars(select(Mission.status).order_by(Mission.id)).all()
        assert all(status.value in ("pending", "in_progress") for status in statuses)
        assert db.session.get(Mission, world.b_mission).status.value == "pending"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cancel_page_with_one_foreign_mission_answers_404_and_changes_nothing(
    app, client, world, method
):
    log_in(client, world.partner_b)
    ids = [world.b_mission, world.a_mission]
    with app.app_context():
        before = snapshot()

    if method == "GET":
        response = client.get(f"/admin/missions/cancel/?id={ids[0]}&id={ids[1]}")
    else:
        data = {"id": ids, "reason": "duplicate"}
        response = post_with_csrf(client, "/admin/missions/cancel/", data)

    assert response.status_code == 404
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("bad_id", ["1,2", "' OR 1=1 --", "x" * 500, "Ä" * 36])
def test_malformed_ids_answer_404(client, world, bad_id):
    log_in(client, world.partner_a)

    assert client.get(f"/admin/clients/details/?id={bad_id}").status_code == 404
    assert client.get(f"/admin/missions/details/?id={bad_id}").status_code == 404
    assert client.get(f"/admin/missions/cancel/?id={bad_id}").status_code == 404
    assert post_with_csrf(client, "/admin/missions/note/", {"id": bad_id}).status_code == 404
    assert (
        post_with_csrf(
            client, "/admin/missions/transition/", {"id": bad_id, "action": "start"}
        ).status_code
        == 404
    )
    assert (
        post_with_csrf(
            client, "/admin/missions/action/", {"action": "start", "rowid": bad_id}
        ).status_code
        == 404
    )


def test_missing_id_goes_back_to_the_list(client, world):
    log_in(client, world.partner_a)

    assert client.get("/admin/clients/details/").status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clients/details/?id=%00",
        "/admin/clients/?search=a%00b",
        "/admin/missions/?flt0_0=%00",
    ],
)
def test_null_bytes_are_refused_as_bad_requests(client, world, url):
    log_in(client, world.partner_a)

    assert client.get(url).status_code == 400


def test_repeated_id_parameter_answers_404(client, world):
    log_in(client, world.partner_a)

    response = client.get(f"/admin/clients/details/?id={world.a_client}&id={world.b_client}")

    assert response.status_code == 404


def test_post_without_csrf_token_changes_nothing(app, client, world):
    log_in(client, world.partner_a)
    with app.app_context():
        before = snapshot()

    responses = [
        client.post("/admin/missions/transition/", data={"id": world.a_mission, "action": "start"}),
        client.post(
            "/admin/missions/cancel/", data={"id": world.a_mission, "reason": "client_left"}
        ),
        client.post("/admin/missions/note/", data={"id": world.a_mission, "text": "x"}),
        client.post("/admin/clients/delete/", data={"id": world.a_client}),
        client.post("/admin/missions/action/", data={"action": "cancel", "rowid": world.a_mission}),
        client.post(f"/admin/clients/edit/?id={world.a_client}", data=CLIENT_FIELDS),
        client.post("/admin/clients/new/", data=CLIENT_FIELDS),
        client.post("/admin/api-keys/new/", data={"name": "Door tablet", "scope": "read"}),
    ]

    for response in responses:
        assert response.status_code == 400
        assert "nothing was changed" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_partner_and_support_roles_together_change_nothing(app, client, world, make_account):
    log_in(client, make_account(RoleName.PARTNER, RoleName.SUPPORT))
    with app.app_context():
        before = snapshot()

    edit = post_with_csrf(client, f"/admin/clients/edit/?id={world.b_client}", CLIENT_FIELDS)
    start = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.b_mission, "action": "cancel"}
    )
    create = post_with_csrf(
        client, "/admin/clients/new/", {**CLIENT_FIELDS, "partner": world.partner_b.id}
    )

    assert (edit.status_code, start.status_code, create.status_code) == (403, 403, 403)
    with app.app_context():
        assert snapshot() == before


def test_accounts_cannot_combine_partner_and_support(app, client, world):
    log_in(client, world.admin)

    response = post_with_csrf(
        client,
        f"/admin/accounts/edit/?id={world.partner_a.id}",
        {"roles": ["partner", "support"], "active": "y"},
    )

    assert response.status_code == 200
    assert "An account cannot be both partner and support." in response.get_data(as_text=True)
