"""Admins merge two clients of one partner: the missions move in one transaction, the dropped
client goes, the totals stay exact, the audit log and each moved mission's history say so."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from admin_app.data.models import AuditEvent, Client, Mission, PartnerTally, User
from admin_app.domain.clients import merge_clients
from admin_app.domain.errors import ClientNotFound, MergeRefused, NotAllowed
from admin_app.domain.missions import open_mission, start_mission
from admin_app.domain.tally import recount
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client


@pytest.fixture
def twins(app, world):
    """Partner A's Alice registered twice (once as "Alise"), the second with two missions."""
    with app.app_context():
        twin, twin_mission = register_client(
            world.partner_a.id, "Alise", email="alice.t@example.com", phone="+33698765432",
            city="Paris",
        )  # fmt: skip
        partner = db.session.get_one(User, world.partner_a.id)
        start_mission(twin_mission, partner)
        second_id = open_mission(twin, partner).id
    return twin, [twin_mission, second_id]


def recount_tallies(app) -> None:
    with app.app_context():
        recount()


def tallies(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(PartnerTally.__table__).order_by(PartnerTally.partner_id))
        return [tuple(row) for row in rows]


def test_merging_moves_the_missions_and_keeps_the_totals_exact(app, world, twins):
    twin, moved = twins
    before = tallies(app)
    with app.app_context():
        admin = db.session.get_one(User, world.admin.id)

        assert merge_clients(world.a_client, twin, admin) == 2

        assert db.session.get(Client, twin) is None
        owners = db.session.scalars(select(Mission.client_id).where(Mission.id.in_(moved)))
        assert set(owners) == {world.a_client}
    after = tallies(app)
    recount_tallies(app)
    assert after == tallies(app)
    (a_before,) = [row for row in before if row[0] == world.partner_a.id]
    (a_after,) = [row for row in after if row[0] == world.partner_a.id]
    assert a_after[1] == a_before[1] - 1 and a_after[2:] == a_before[2:]


def test_a_merge_is_in_the_audit_log_and_each_moved_missions_history(app, client, world, twins):
    twin, moved = twins
    log_in(client, world.admin)

    response = post_with_csrf(client, "/admin/clients/merge/", {"id": twin, "keep": world.a_client})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/clients/details/?id={world.a_client}")
    landing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Alise Test was merged into Alice Test: 2 missions moved." in landing
    for mission in moved:
        page = client.get(f"/admin/missions/details/?id={mission}").get_data(as_text=True)
        assert "Moved here from client Alise Test when the two clients were merged." in page
    french = client.get(
        f"/admin/missions/details/?id={moved[0]}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "Déplacée ici depuis la fiche de Alise Test" in french
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client.merge")
        ).one()
    assert event.target == f"walk_in_client:{world.a_client}"
    assert json.loads(event.details) == {"merged": twin, "missions": 2}
    log = client.get("/admin/audit/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Fiches clients fusionnées" in log and "Missions déplacées" in log


def test_clients_of_different_partners_are_not_merged(app, client, world):
    log_in(client, world.admin)

    response = post_with_csrf(
        client, "/admin/clients/merge/", {"id": world.a_client, "keep_id": world.b_client}
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "only clients of the same partner can be merged" in page
    with app.app_context():
        assert db.session.get(Client, world.a_client) is not None
        assert db.session.get(Client, world.b_client) is not None


@pytest.mark.parametrize(
    ("keep", "error"), [("a_client", MergeRefused), ("missing", ClientNotFound)]
)
def test_a_client_is_not_merged_into_itself_or_a_missing_client(app, world, keep, error):
    with app.app_context():
        admin = db.session.get_one(User, world.admin.id)
        keep_id = getattr(world, keep, "00000000-0000-4000-8000-000000000000")
        with pytest.raises(error):
            merge_clients(keep_id, world.a_client, admin)
        assert db.session.get(Client, world.a_client) is not None


@pytest.mark.parametrize("role", ["partner_a", "support"])
def test_only_admins_merge(app, world, role):
    with app.app_context():
        user = db.session.get_one(User, getattr(world, role).id)
        with pytest.raises(NotAllowed):
            merge_clients(world.a_client, world.a_client, user)


def test_the_merge_page_offers_likely_duplicates_to_keep(client, world, twins):
    twin, _ = twins
    log_in(client, world.admin)

    details = client.get(f"/admin/clients/details/?id={twin}").get_data(as_text=True)
    page = client.get(f"/admin/clients/merge/?id={twin}").get_data(as_text=True)

    assert f"/admin/clients/merge/?id={twin}" in details
    assert f'name="keep" id="keep-1" value="{world.a_client}"' in page
    assert "This cannot be undone." in page


def test_partners_see_no_merge_link(client, world):
    log_in(client, world.partner_a)

    details = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)

    assert "/admin/clients/merge/" not in details


def test_an_unknown_client_to_keep_is_said_plainly(client, world):
    log_in(client, world.admin)

    response = post_with_csrf(
        client, "/admin/clients/merge/", {"id": world.a_client, "keep_id": "nonsense"}
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose the client to keep: no client has this id." in page


def test_support_is_refused_the_merge_page(client, world):
    log_in(client, world.support)

    assert client.get(f"/admin/clients/merge/?id={world.a_client}").status_code == 403


def test_partner_a_merging_its_own_clients_is_refused(client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/clients/merge/", {"id": world.a_client, "keep_id": world.a_client}
    )

    assert response.status_code == 403


def test_an_admin_sees_404_for_a_missing_client_to_drop(client, world):
    log_in(client, world.admin)

    assert client.get("/admin/clients/merge/?id=nonsense").status_code == 404
