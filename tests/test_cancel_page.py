"""Cancelling asks why: one page (reason from a short list, optional words) for the row button,
the details page and the batch action; it cancels all the missions it lists or none."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from admin_app.data.models import CancelReason, Mission, MissionEvent, MissionStatus, User
from admin_app.domain.missions import complete_mission, start_mission
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client
from tests.test_query_counts import counted_queries

CANCEL = "/admin/missions/cancel/"


def mission(app, mission_id: str) -> Mission:
    with app.app_context():
        row = db.session.get_one(Mission, mission_id)
        db.session.expunge(row)
        return row


def cancel_page(*ids: str, url: str = "/admin/missions/") -> str:
    query = "&".join(f"id={mission_id}" for mission_id in ids)
    return f"{CANCEL}?{query}&url={url}"


def test_the_page_lists_the_missions_by_client_and_short_id_with_a_reason_list(client, world):
    log_in(client, world.partner_a)

    page = client.get(cancel_page(world.a_mission, world.a_started_mission))
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Alice Test" in text and "Arthur Test" in text
    assert world.a_mission[:8] in text and world.a_started_mission[:8] in text
    assert re.findall(r'<option value="(\w*)"', text) == [
        "", "client_left", "no_show", "duplicate", "other",
    ]  # fmt: skip
    assert "Cancel these 2 missions" in text and 'name="csrf_token"' in text


def test_cancelling_records_the_reason_and_returns_where_the_user_came_from(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, CANCEL, {
        "id": [world.a_mission, world.a_started_mission], "reason": "no_show",
        "note": "Called <twice>", "url": "/admin/missions/?sort=1",
    })  # fmt: skip

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/missions/?sort=1"
    assert "2 missions cancelled." in client.get("/admin/missions/").get_data(as_text=True)
    for mission_id in (world.a_mission, world.a_started_mission):
        row = mission(app, mission_id)
        assert row.status is MissionStatus.CANCELLED and row.cancelled_at is not None
        assert (row.cancel_reason, row.cancel_note) == (CancelReason.NO_SHOW, "Called <twice>")
    with app.app_context():
        last = db.session.scalars(
            select(MissionEvent).where(MissionEvent.mission_id == world.a_mission)
            .order_by(MissionEvent.id.desc())
        ).first()  # fmt: skip
        assert (last.reason, last.note) == (CancelReason.NO_SHOW, "Called <twice>")


def test_without_a_reason_nothing_is_cancelled_and_the_form_says_so(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, CANCEL, {"id": world.a_mission, "note": "kept"})
    text = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "This field is required." in text and "kept" in text
    assert mission(app, world.a_mission).status is MissionStatus.PENDING


def test_a_reason_outside_the_list_is_refused_at_its_field(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, CANCEL, {"id": world.a_mission, "reason": "bored"})

    assert "Choose one of the listed values." in response.get_data(as_text=True)
    assert mission(app, world.a_mission).status is MissionStatus.PENDING


def test_one_mission_no_longer_cancellable_cancels_none_and_names_it(app, client, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        _, done = register_client(partner.id, "Dora")
        start_mission(done, partner)
    log_in(client, world.partner_a)
    form = client.get(cancel_page(world.a_mission, done)).get_data(as_text=True)
    with app.app_context():  # completed by someone else while the form is open
        complete_mission(done, db.session.get_one(User, world.partner_a.id))

    response = post_with_csrf(client, CANCEL, {"id": [world.a_mission, done], "reason": "other"})
    text = response.get_data(as_text=True)

    assert "cannot be cancelled" not in form
    assert response.status_code == 200 and "No mission was cancelled." in text
    assert f"Dora Test&#39;s mission {done[:8]}: already completed" in text
    assert mission(app, world.a_mission).status is MissionStatus.PENDING
    assert mission(app, done).status is MissionStatus.COMPLETED


def test_the_page_warns_before_the_form_when_a_listed_mission_cannot_be_cancelled(
    app, client, world
):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        _, done = register_client(partner.id, "Dora")
        start_mission(done, partner)
        complete_mission(done, partner)
    log_in(client, world.partner_a)

    text = client.get(cancel_page(world.a_mission, done)).get_data(as_text=True)

    assert "cannot be cancelled: already completed" in text
    assert 'data-testid="cancel-form"' not in text


def test_the_batch_action_leads_to_the_page_with_the_selected_ids(client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, "/admin/missions/action/", {
        "action": "cancel", "rowid": [world.a_mission, world.a_started_mission],
        "url": "/admin/missions/?page=1",
    })  # fmt: skip

    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert response.status_code == 302 and target.path == CANCEL
    assert sorted(query["id"]) == sorted([world.a_mission, world.a_started_mission])
    assert query["url"] == ["/admin/missions/?page=1"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_row_form_of_an_older_page_leads_to_the_page_too(client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "cancel"}
    )

    assert urlsplit(response.headers["Location"]).path == CANCEL


def test_the_details_page_cancel_button_returns_to_the_details_page(app, client, world):
    log_in(client, world.partner_a)
    details = f"/admin/missions/details/?id={world.a_mission}"

    page = client.get(details).get_data(as_text=True)
    link = re.search(r'href="(/admin/missions/cancel/\?id=[^"]+)"', page).group(1)
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    back = re.search(r'name="url" type="hidden" value="([^"]+)"', form).group(1)
    done = post_with_csrf(client, CANCEL, {
        "id": world.a_mission, "reason": "client_left", "url": back.replace("&amp;", "&"),
    })  # fmt: skip

    assert done.headers["Location"] == details
    assert mission(app, world.a_mission).cancel_reason is CancelReason.CLIENT_LEFT


def test_an_empty_or_oversized_list_is_a_bad_request(client, world):
    log_in(client, world.partner_a)

    assert client.get(CANCEL).status_code == 400
    ids = "&".join(f"id={index:08d}-0000-4000-8000-000000000000" for index in range(101))
    assert client.get(f"{CANCEL}?{ids}").status_code == 400


def test_the_page_is_in_french_with_french_reasons(client, world):
    log_in(client, world.partner_a)
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})

    text = client.get(cancel_page(world.a_mission)).get_data(as_text=True)

    assert "Client parti" in text and "Absent" in text and "Doublon" in text
    assert "Annuler cette mission" in text


def test_the_page_costs_the_same_queries_for_one_mission_and_for_forty(app, client, world):
    with app.app_context():
        names = [f"Many{chr(65 + index // 26)}{chr(97 + index % 26)}" for index in range(40)]
        many = [register_client(world.partner_a.id, name)[1] for name in names]
    log_in(client, world.partner_a)
    client.get(cancel_page(world.a_mission))

    with counted_queries(app) as one:
        assert client.get(cancel_page(world.a_mission)).status_code == 200
    with counted_queries(app) as forty:
        assert client.get(cancel_page(*many)).status_code == 200

    assert len(forty) == len(one) <= 4
