"""A returning client's new mission: the domain rule and the client's "New mission" page."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from admin_app.data.models import Mission, MissionEvent, MissionStatus, PartnerTally, User
from admin_app.domain.errors import ClientNotFound, NotAllowed
from admin_app.domain.missions import open_mission
from admin_app.domain.tally import recount
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf


def tally_of(partner_id: int) -> tuple[int, int]:
    row = db.session.get_one(PartnerTally, partner_id)
    db.session.refresh(row)
    return row.clients, row.pending


def tally_rows() -> set[tuple[int, ...]]:
    columns = [getattr(PartnerTally, name) for name in PartnerTally.__table__.columns.keys()]
    return {tuple(row) for row in db.session.execute(select(*columns))}


def missions_of(client_id: str) -> list[Mission]:
    query = select(Mission).where(Mission.client_id == client_id).order_by(Mission.created_at)
    return list(db.session.scalars(query))


def test_open_mission_adds_a_pending_mission_and_keeps_the_totals_exact(app, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        before = tally_of(partner.id)

        mission = open_mission(world.a_client, partner)

        assert mission.status is MissionStatus.PENDING
        assert (mission.client_id, mission.partner_id) == (world.a_client, partner.id)
        assert tally_of(partner.id) == (before[0], before[1] + 1)
        kept = tally_rows()
        recount()
        assert tally_rows() == kept


def test_open_mission_records_its_creation_with_the_actor(app, world):
    with app.app_context():
        admin = db.session.get_one(User, world.admin.id)

        mission = open_mission(world.b_client, admin)

        events = db.session.scalars(
            select(MissionEvent).where(MissionEvent.mission_id == mission.id)
        ).all()
        assert [(e.actor_id, e.from_status, e.to_status) for e in events] == [
            (admin.id, None, MissionStatus.PENDING)
        ]
        assert mission.partner_id == world.partner_b.id


def test_open_mission_refuses_another_partners_client_as_not_found(app, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        with pytest.raises(ClientNotFound):
            open_mission(world.b_client, partner)
        with pytest.raises(ClientNotFound):
            open_mission("not-an-id", partner)
        assert len(missions_of(world.b_client)) == 1


def test_open_mission_refuses_support(app, world):
    with app.app_context():
        support = db.session.get_one(User, world.support.id)
        with pytest.raises(NotAllowed):
            open_mission(world.a_client, support)
        assert len(missions_of(world.a_client)) == 1


def test_client_details_offer_new_mission_to_partners_and_admins_not_support(app, world):
    url = f"/admin/clients/details/?id={world.a_client}"
    new_mission = f"/admin/clients/new-mission/?id={world.a_client}"
    for account, shown in ((world.partner_a, True), (world.admin, True), (world.support, False)):
        browser = app.test_client()
        log_in(browser, account)
        page = html.unescape(browser.get(url).get_data(as_text=True))
        assert (new_mission in page) is shown, account.email


def test_new_mission_page_shows_the_client_then_opens_the_mission(app, client, world):
    log_in(client, world.partner_a)
    url = f"/admin/clients/new-mission/?id={world.a_client}"

    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "New mission for Alice Test" in text and "alice@example.com" in text

    response = post_with_csrf(client, url)

    assert response.status_code == 302
    with app.app_context():
        newest = missions_of(world.a_client)[-1]
        assert len(missions_of(world.a_client)) == 2
        assert newest.status is MissionStatus.PENDING
    assert response.headers["Location"].endswith(f"/admin/missions/details/?id={newest.id}")
    landed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A new mission is open for Alice Test." in landed


def test_new_mission_post_without_csrf_opens_nothing(app, client, world):
    log_in(client, world.partner_a)

    response = client.post(f"/admin/clients/new-mission/?id={world.a_client}")

    assert response.status_code == 400
    with app.app_context():
        assert len(missions_of(world.a_client)) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_new_mission_page_of_another_partners_client_is_not_found(app, client, world, method):
    log_in(client, world.partner_a)
    url = f"/admin/clients/new-mission/?id={world.b_client}"

    response = client.get(url) if method == "get" else post_with_csrf(client, url)

    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mission)) == 3


@pytest.mark.parametrize("method", ["get", "post"])
def test_new_mission_page_is_refused_to_support(app, client, world, method):
    log_in(client, world.support)
    url = f"/admin/clients/new-mission/?id={world.a_client}"

    response = client.get(url) if method == "get" else post_with_csrf(client, url)

    assert response.status_code == 403
