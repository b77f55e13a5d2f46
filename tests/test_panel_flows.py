"""End-to-end flows through real HTTP requests: register, work missions, edit, delete, export."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from admin_app.data.models import Client, Mission, MissionStatus, RoleName, User
from admin_app.domain.missions import cancel_mission, complete_mission, start_mission
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client

NEW_CLIENT = {
    "first_name": "Zoé",
    "last_name": "Martin",
    "email": "Zoe.Martin@Example.com",
    "phone": "06 11 22 33 44",
    "city": "Nantes",
}


def figures(client) -> dict:
    response = client.get("/admin/figures.json")
    assert response.status_code == 200
    return response.get_json()


def row_counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Client)),
            db.session.scalar(select(func.count()).select_from(Mission)),
        )


def only_mission(app) -> Mission:
    with app.app_context():
        mission = db.session.scalars(select(Mission)).one()
        db.session.expunge(mission)
        return mission


def test_partner_registers_client_and_completes_its_mission(app, client, login_as):
    partner = login_as(RoleName.PARTNER)
    assert figures(client) == {"active": 0, "completed": 0, "clients": 0, "latest": []}

    response = post_with_csrf(client, "/admin/clients/new/", NEW_CLIENT)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    mission = only_mission(app)
    assert mission.status is MissionStatus.PENDING and mission.partner_id == partner.id
    assert f"/admin/missions/details/?id={mission.id}" in page
    assert "Zoé Martin is registered." in page
    assert figures(client)["active"] == 1 and figures(client)["clients"] == 1

    for action in ("start", "complete"):
        done = post_with_csrf(
            client, "/admin/missions/transition/", {"id": mission.id, "action": action}
        )
        assert done.status_code == 302

    finished = only_mission(app)
    assert finished.status is MissionStatus.COMPLETED and finished.completed_at is not None
    after = figures(client)
    assert (after["active"], after["completed"], after["clients"]) == (0, 1, 1)
    assert after["latest"][0]["status"] == "completed"


def test_registration_stores_normalised_values(app, client, login_as):
    login_as(RoleName.PARTNER)

    post_with_csrf(client, "/admin/clients/new/", NEW_CLIENT)

    with app.app_context():
        saved = db.session.scalars(select(Client)).one()
        assert (saved.email, saved.phone) == ("zoe.martin@example.com", "+33611223344")


def test_partner_cannot_assign_client_to_another_partner(app, client, login_as, make_account):
    other = make_account(RoleName.PARTNER)
    partner = login_as(RoleName.PARTNER)

    post_with_csrf(client, "/admin/clients/new/", {**NEW_CLIENT, "partner": other.id})

    with app.app_context():
        assert db.session.scalars(select(Client.partner_id)).one() == partner.id


def test_admin_registers_client_for_the_partner_it_chooses(app, client, login_as, make_account):
    partner = make_account(RoleName.PARTNER)
    login_as(RoleName.ADMIN)

    missing = post_with_csrf(client, "/admin/clients/new/", NEW_CLIENT)
    assert missing.status_code == 200
    assert "This field is required." in missing.get_data(as_text=True)
    assert row_counts(app) == (0, 0)

    chosen = post_with_csrf(client, "/admin/clients/new/", {**NEW_CLIENT, "partner": partner.id})

    assert chosen.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Mission.partner_id)).one() == partner.id


def test_bad_registration_shows_errors_at_fields_and_keeps_input(app, client, login_as):
    login_as(RoleName.PARTNER)

    response = post_with_csrf(
        client, "/admin/clients/new/", {**NEW_CLIENT, "email": "zoe@", "phone": "12"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This is not a valid email address." in page
    assert "This is not a valid phone number." in page
    assert 'value="Zoé"' in page and 'value="Nantes"' in page and 'value="zoe@"' in page
    assert row_counts(app) == (0, 0)


def test_partner_with_no_clients_sees_an_invitation_to_register(client, login_as):
    login_as(RoleName.PARTNER)

    page = client.get("/admin/clients/").get_data(as_text=True)

    assert "No walk-in client yet." in page
    assert page.count("New walk-in client") >= 2


def test_support_sees_no_write_buttons(client, world):
    log_in(client, world.support)

    clients = client.get("/admin/clients/").get_data(as_text=True)
    missions = client.get("/admin/missions/").get_data(as_text=True)

    assert "New walk-in client" not in clients and "Export" not in clients
    assert "transition-form" not in missions and "With selected" not in missions
    # Every partner's clients, their emails masked (``test_contact_masking.py``).
    assert "a•••@example.com" in clients and "b•••@example.com" in clients
    assert "alice@example.com" not in clients


def test_batch_action_with_mixed_statuses_reports_one_summary(app, client, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        _, done = register_client(partner.id, "Dora")
        start_mission(done, partner)
        complete_mission(done, partner)
        _, dropped = register_client(partner.id, "Eli")
        cancel_mission(dropped, partner, "client_left")
    log_in(client, world.partner_a)
    ids = [world.a_mission, world.a_started_mission, done, dropped]

    response = post_with_csrf(
        client, "/admin/missions/action/", {"action": "complete", "rowid": ids}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "1 mission completed; 3 refused:" in page
    assert (
        "1 still pending" in page
        and "1 already cancelled" in page
        and "1 already completed" in page
    )
    with app.app_context():
        statuses = {m.id: m.status for m in db.session.scalars(select(Mission))}
    assert statuses[world.a_started_mission] is MissionStatus.COMPLETED
    assert statuses[world.a_mission] is MissionStatus.PENDING
    assert statuses[dropped] is MissionStatus.CANCELLED


def test_refused_row_button_explains_why(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "complete"}
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not done: still pending." in page
    assert only_status(app, world.a_mission) is MissionStatus.PENDING


def test_unknown_transition_name_is_a_bad_request(client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "archive"}
    )

    assert response.status_code == 400


def only_status(app, mission_id: str) -> MissionStatus:
    with app.app_context():
        return db.session.get_one(Mission, mission_id).status


def test_row_buttons_follow_the_status(client, world):
    """Start and Complete are forms; Cancel links to the page that asks why."""
    log_in(client, world.partner_a)

    page = client.get("/admin/missions/").get_data(as_text=True)
    forms = re.findall(
        r'name="id" value="([^"]+)">\s*<input type="hidden" name="action" value="(\w+)"', page
    )
    cancel_links = re.findall(r'href="/admin/missions/cancel/\?id=([^&"]+)&amp;url=[^"]+"', page)

    assert [a for i, a in forms if i == world.a_mission] == ["start"]
    assert [a for i, a in forms if i == world.a_started_mission] == ["complete"]
    assert {world.a_mission, world.a_started_mission} <= set(cancel_links)


def test_a_mission_has_no_edit_form_its_status_moves_by_transitions_only(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client,
        f"/admin/missions/edit/?id={world.a_mission}",
        {"status": "completed", "partner_id": world.partner_b.id},
    )

    assert response.status_code == 404
    with app.app_context():
        mission = db.session.get_one(Mission, world.a_mission)
        assert mission.status is MissionStatus.PENDING
        assert mission.partner_id == world.partner_a.id


def test_mission_details_show_its_history(app, client, world):
    log_in(client, world.admin)

    page = client.get(f"/admin/missions/details/?id={world.a_started_mission}").get_data(
        as_text=True
    )

    timeline = page[page.index('data-testid="timeline"') :]
    assert timeline.count("<tr") == 3  # header, creation, start
    assert world.partner_a.email in timeline and "In progress" in timeline


def test_client_details_list_its_missions(client, world):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)

    assert f"/admin/missions/details/?id={world.a_mission}" in page


def test_editing_a_client_validates_through_the_rules(app, client, world):
    log_in(client, world.partner_a)
    url = f"/admin/clients/edit/?id={world.a_client}"
    fields = {"first_name": "Alice", "last_name": "Lemaire", "email": "ALICE@example.com",
              "phone": "0611223344", "city": " Lille "}  # fmt: skip

    refused = post_with_csrf(client, url, {**fields, "email": "not-an-email"})
    saved = post_with_csrf(client, url, fields)

    assert refused.status_code == 200 and "This is not a valid email address." in refused.get_data(
        as_text=True
    )
    assert saved.status_code == 302
    with app.app_context():
        client_row = db.session.get_one(Client, world.a_client)
        assert (client_row.last_name, client_row.email, client_row.city) == (
            "Lemaire",
            "alice@example.com",
            "Lille",
        )
        assert client_row.phone == "+33611223344"


def test_deleting_a_client_removes_its_missions(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, "/admin/clients/delete/", {"id": world.a_client})

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, world.a_client) is None
        assert db.session.get(Mission, world.a_mission) is None
        assert db.session.get(Mission, world.b_mission) is not None


def test_rows_delete_form_deletes_when_posted_as_rendered(app, client, world):
    """The list's rows are plain HTML (see ``RowLinks``): its delete form, fields and token
    included, must work as Flask-Admin's did."""
    log_in(client, world.partner_a)
    page = client.get("/admin/clients/").get_data(as_text=True)
    form = re.search(
        r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>', page, re.DOTALL
    )
    assert form, "a delete form per row"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert set(fields) == {"id", "url", "csrf_token"}

    response = client.post(html.unescape(form.group(1)), data=fields)

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, fields["id"]) is None


def test_rows_start_form_starts_the_mission_when_posted_as_rendered(app, client, world):
    """A mission row's Start form is made once a page and joined with the row's id: posted as
    rendered, it starts that mission and comes back to the same list page."""
    log_in(client, world.partner_a)
    listed = "/admin/missions/?flt0_0=pending"
    page = client.get(listed).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)" class="d-inline transition-form">'
                       r"(.*?)</form>", page, re.DOTALL)  # fmt: skip
    starts = [(action, dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body)))
              for action, body in forms if 'value="start"' in body]  # fmt: skip
    action, fields = next(form for form in starts if form[1]["id"] == world.a_mission)
    assert set(fields) == {"csrf_token", "id", "action", "url"}

    response = client.post(
        html.unescape(action), data={name: html.unescape(value) for name, value in fields.items()}
    )

    assert response.status_code == 302
    back = urlsplit(response.headers["Location"])
    assert back.path == "/admin/missions/" and "flt0_0=pending" in back.query.split("&")
    with app.app_context():
        assert db.session.get_one(Mission, world.a_mission).status is MissionStatus.IN_PROGRESS


def test_delete_button_asks_for_confirmation(client, world):
    log_in(client, world.partner_a)

    page = client.get("/admin/clients/").get_data(as_text=True)

    assert "Are you sure you want to delete this record?" in page


def test_missions_list_newest_first_and_filters_by_status(app, client, world):
    log_in(client, world.partner_a)

    listed = client.get("/admin/missions/").get_data(as_text=True)
    assert listed.index("Arthur") < listed.index("Alice")

    pending = client.get("/admin/missions/?flt0_0=pending").get_data(as_text=True)
    assert "alice@example.com" in pending and "arthur@example.com" not in pending


def test_missions_search_by_client_email(client, world):
    log_in(client, world.admin)

    page = client.get("/admin/missions/?search=bruno@").get_data(as_text=True)

    assert "bruno@example.com" in page and "alice@example.com" not in page


@pytest.mark.parametrize("view", ["clients", "missions"])
def test_export_neutralises_spreadsheet_formulas(app, client, login_as, view):
    partner = login_as(RoleName.PARTNER)
    with app.app_context():
        _, mission = register_client(partner.id, "Eve", city='=HYPERLINK("http://x")')
        cancel_mission(mission, db.session.get_one(User, partner.id), "other", "@SUM(A1)")

    response = client.get(f"/admin/{view}/export/csv/")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'+33612345678" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)
    if view == "clients":
        assert '\'=HYPERLINK("http://x")' in cells
    else:
        assert "'@SUM(A1)" in cells


@pytest.mark.parametrize(
    "start", ["\uff1d", "\uff0b", "\uff0d", "\uff20", "\u200b=", "\ufeff+", "\u2060@"]
)
def test_export_neutralises_fullwidth_and_hidden_formula_starts(app, client, login_as, start):
    partner = login_as(RoleName.PARTNER)
    with app.app_context():
        _, mission = register_client(partner.id, "Eve", city=f"{start}SUM(A1)")
        note = f"{start}cmd|' /C calc'!A0"
        cancel_mission(mission, db.session.get_one(User, partner.id), "other", note)

    exported = {
        view: [
            cell
            for row in csv.reader(io.StringIO(client.get(f"/admin/{view}/export/csv/").text))
            for cell in row
        ]
        for view in ("clients", "missions")
    }

    assert f"'{start}SUM(A1)" in exported["clients"]
    assert f"'{start}cmd|' /C calc'!A0" in exported["missions"]
