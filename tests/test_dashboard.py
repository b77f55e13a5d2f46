"""The dashboard: scoped figures, a partner filter for admins and support, a live JSON feed."""

from __future__ import annotations

from admin_app.data.models import User
from admin_app.domain.missions import complete_mission
from admin_app.extensions import db
from tests.conftest import log_in, register_client


def figures(client, query: str = "") -> dict:
    return client.get(f"/admin/figures.json{query}").get_json()


def test_partner_sees_only_its_own_figures(client, world):
    log_in(client, world.partner_b)

    data = figures(client)

    assert (data["active"], data["completed"], data["clients"]) == (1, 0, 1)
    assert [m["id"] for m in data["latest"]] == [world.b_mission]


def test_admin_sees_everyone_and_may_narrow_to_one_partner(client, world):
    log_in(client, world.admin)

    everyone = figures(client)
    only_a = figures(client, f"?partner={world.partner_a.id}")

    assert (everyone["active"], everyone["clients"]) == (3, 3)
    assert (only_a["active"], only_a["clients"]) == (2, 2)
    assert {m["id"] for m in only_a["latest"]} == {world.a_mission, world.a_started_mission}


def test_partner_cannot_widen_its_figures_with_the_partner_filter(client, world):
    log_in(client, world.partner_b)

    assert figures(client, f"?partner={world.partner_a.id}")["clients"] == 1


def test_latest_shows_three_newest_missions(app, client, world):
    with app.app_context():
        for name in ("Dan", "Eva"):
            register_client(world.partner_a.id, name)
    log_in(client, world.support)

    latest = figures(client)["latest"]

    assert [m["client"] for m in latest] == ["Eva Test", "Dan Test", "Bruno Test"]
    assert {"id", "client", "status", "status_label", "badge", "created_at", "url"} <= set(
        latest[0]
    )


def test_json_moves_when_a_mission_completes(app, client, world):
    log_in(client, world.partner_a)
    before = figures(client)
    with app.app_context():
        complete_mission(world.a_started_mission, db.session.get_one(User, world.partner_a.id))

    after = figures(client)

    assert (after["active"], after["completed"]) == (before["active"] - 1, before["completed"] + 1)


def test_dashboard_page_refreshes_itself_from_the_json(client, world):
    log_in(client, world.admin)

    page = client.get("/admin/").get_data(as_text=True)

    assert 'data-url="/admin/figures.json"' in page and "dashboard.js" in page
    assert world.partner_a.email in page  # the partner filter's choices
    with client.get("/static/dashboard.js") as script:
        assert script.status_code == 200 and "textContent" in script.get_data(as_text=True)


def test_partner_dashboard_has_no_partner_filter(client, world):
    log_in(client, world.partner_a)

    page = client.get("/admin/").get_data(as_text=True)

    assert 'id="partner-filter"' not in page


def test_figures_json_is_not_cached(client, world):
    log_in(client, world.partner_a)

    assert client.get("/admin/figures.json").headers["Cache-Control"] == "no-store"
