"""Today's board over HTTP: its columns, today in the user's zone, caps and their links, the
missions list's buttons on each card, scoping and support's read-only view."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from admin_app.data.models import Mission, MissionStatus, RoleName, User
from admin_app.domain.board import BOARD_CAP
from admin_app.domain.missions import cancel_mission, complete_mission, start_mission
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client

BOARD = "/admin/board/"
COLUMNS = "/admin/board/columns/"
SECTION = re.compile(r'<section[^>]*data-status="(\w+)"[^>]*>(.*?)</section>', re.S)
CARD = re.compile(r'data-mission="([^"]+)"')
FORM = re.compile(r"<form[^>]*transition-form.*?</form>", re.S)
FIELD = re.compile(r'name="(\w+)" value="([^"]*)"')


def board(client, query: str = "", url: str = BOARD) -> dict[str, list[str]]:
    """Each column's mission ids, in the order shown."""
    response = client.get(url + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {status: CARD.findall(body) for status, body in SECTION.findall(html)}


def column_html(client, status: str, query: str = "") -> str:
    html = client.get(BOARD + query).get_data(as_text=True)
    return dict(SECTION.findall(html))[status]


def partner(account) -> User:
    return db.session.get_one(User, account.id)


def test_each_mission_shows_in_its_column(app, client, world):
    with app.app_context():
        _, done = register_client(world.partner_a.id, "Camille")
        _, dropped = register_client(world.partner_a.id, "Denis")
        start_mission(done, partner(world.partner_a))
        complete_mission(done, partner(world.partner_a))
        cancel_mission(dropped, partner(world.partner_a), "client_left")
    log_in(client, world.partner_a)

    columns = board(client)

    assert columns == {
        "pending": [world.a_mission],
        "in_progress": [world.a_started_mission],
        "completed": [done],
        "cancelled": [dropped],
    }


def test_cards_name_the_client_and_how_long_it_has_waited(app, client, world):
    with app.app_context():
        an_hour_ago = datetime.now(UTC) - timedelta(minutes=65)
        db.session.execute(
            update(Mission).where(Mission.id == world.a_mission).values(created_at=an_hour_ago)
        )
        db.session.commit()
    log_in(client, world.partner_a)

    pending = column_html(client, "pending")

    assert "Alice Test" in pending and "1 h 05 min" in pending
    assert f"/admin/clients/details/?id={world.a_client}" in pending
    assert "Arthur Test" in column_html(client, "in_progress")


def test_empty_columns_say_so(client, make_account):
    log_in(client, make_account(RoleName.PARTNER))

    page = client.get(BOARD).get_data(as_text=True)

    for words in (
        "No mission waiting.",
        "No mission in progress.",
        "No mission completed today.",
        "No mission cancelled today.",
    ):
        assert words in page


def set_time(app, mission_id: str, column: str, value: datetime) -> None:
    with app.app_context():
        db.session.execute(update(Mission).where(Mission.id == mission_id).values({column: value}))
        db.session.commit()


@pytest.mark.parametrize("zone_name", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_starts_at_midnight_in_the_users_zone_far_from_utc(app, client, world, zone_name):
    """At UTC+14 or UTC-11, a mission finished a minute before the user's midnight is
    yesterday's and one finished a minute after is today's, though both are the same UTC day."""
    zone = ZoneInfo(zone_name)
    midnight = datetime.combine(datetime.now(zone).date(), time(), tzinfo=zone)
    names = ("Yann", "Zoe", "Yves", "Zack")
    with app.app_context():
        ids = [register_client(world.partner_a.id, name)[1] for name in names]
        done_before, done_after, cancelled_before, cancelled_after = ids
        for mission_id in (done_before, done_after):
            start_mission(mission_id, partner(world.partner_a))
            complete_mission(mission_id, partner(world.partner_a))
        for mission_id in (cancelled_before, cancelled_after):
            cancel_mission(mission_id, partner(world.partner_a), "client_left")
    minute = timedelta(minutes=1)
    set_time(app, done_before, "completed_at", midnight - minute)
    set_time(app, done_after, "completed_at", midnight + minute)
    set_time(app, cancelled_before, "cancelled_at", midnight - minute)
    set_time(app, cancelled_after, "cancelled_at", midnight + minute)
    log_in(client, world.partner_a)
    client.set_cookie("tz", zone_name)

    columns = board(client)

    assert columns["completed"] == [done_after]
    assert columns["cancelled"] == [cancelled_after]


def test_columns_are_capped_and_link_to_the_whole_filtered_list(app, client, world):
    with app.app_context():
        for index in range(BOARD_CAP + 2):
            register_client(world.partner_a.id, f"Queue{chr(65 + index)}")
    log_in(client, world.partner_a)

    columns = board(client)
    pending = column_html(client, "pending")
    more = re.search(r'<a class="small board-more" href="([^"]+)">([^<]+)</a>', pending)

    assert len(columns["pending"]) == BOARD_CAP
    assert columns["pending"][0] == world.a_mission  # the longest wait first
    assert more and more.group(2) == "and 3 more"
    listed = client.get(unescape(more.group(1))).get_data(as_text=True)
    assert unescape(more.group(1)) == "/admin/missions/?flt0_0=pending"
    assert "QueueV" in listed and "Arthur Test" not in listed


def test_completed_column_links_to_todays_completed_missions(app, client, world):
    with app.app_context():
        complete_mission(world.a_started_mission, partner(world.partner_a))
    log_in(client, world.partner_a)
    client.set_cookie("tz", "Europe/Paris")

    completed = column_html(client, "completed")
    link = unescape(re.search(r'<h5[^>]*>\s*<a class="mr-auto" href="([^"]+)"', completed)[1])

    today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
    assert link == f"/admin/missions/?flt0_0=completed&flt1_5={today}"
    assert "Arthur Test" in client.get(link).get_data(as_text=True)


def test_cancelled_column_links_to_todays_cancelled_missions(app, client, world):
    with app.app_context():
        cancel_mission(world.a_mission, partner(world.partner_a), "no_show")
    log_in(client, world.partner_a)
    client.set_cookie("tz", "Europe/Paris")

    cancelled = column_html(client, "cancelled")
    link = unescape(re.search(r'<h5[^>]*>\s*<a class="mr-auto" href="([^"]+)"', cancelled)[1])

    today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
    assert link == f"/admin/missions/?flt0_0=cancelled&flt1_8={today}"
    assert "Alice Test" in client.get(link).get_data(as_text=True)


def test_cancel_on_a_card_asks_the_reason_then_comes_back_to_the_board(app, client, world):
    log_in(client, world.partner_a)
    pending = column_html(client, "pending")
    cancel = unescape(re.search(r'<a href="([^"]+)"[^>]*data-action="cancel"', pending)[1])

    assert cancel.startswith(f"/admin/missions/cancel/?id={world.a_mission}&url=")
    form_page = client.get(cancel)
    assert form_page.status_code == 200 and "Alice Test" in form_page.get_data(as_text=True)
    done = post_with_csrf(client, cancel, {"reason": "client_left"})

    assert done.status_code == 302 and done.headers["Location"] == BOARD
    assert board(client)["cancelled"] == [world.a_mission]


def card_forms(client, mission_id: str) -> dict[str, dict[str, str]]:
    """The card's button forms, by action, with their hidden fields."""
    html = client.get(BOARD).get_data(as_text=True)
    card = html[html.index(f'data-mission="{mission_id}"') :]
    card = card[: card.index("</div>\n    </div>")]
    forms = {}
    for form in FORM.findall(card):
        fields = dict(FIELD.findall(form))
        action = re.search(r'action="([^"]+)"', form)[1]
        forms[fields["action"]] = {**fields, "form_action": unescape(action)}
    return forms


def test_start_button_on_a_card_moves_it_to_in_progress(app, client, world):
    log_in(client, world.partner_a)
    form = card_forms(client, world.a_mission)["start"]

    response = client.post(
        form.pop("form_action"), data={**form, "url": unescape(form["url"])}, follow_redirects=True
    )

    assert response.request.path == BOARD
    assert "1 mission started." in response.get_data(as_text=True)
    columns = board(client)
    assert world.a_mission in columns["in_progress"] and columns["pending"] == []


def test_complete_button_on_a_card_finishes_it_today(app, client, world):
    log_in(client, world.partner_a)
    form = card_forms(client, world.a_started_mission)["complete"]

    client.post(form.pop("form_action"), data=form)

    assert board(client)["completed"] == [world.a_started_mission]


def test_card_buttons_without_a_csrf_token_change_nothing(app, client, world):
    log_in(client, world.partner_a)
    form = card_forms(client, world.a_mission)["start"]
    action = form.pop("form_action")
    form.pop("csrf_token")

    response = client.post(action, data=form)

    assert response.status_code == 400
    with app.app_context():
        assert db.session.get_one(Mission, world.a_mission).status is MissionStatus.PENDING


def test_partner_never_sees_another_partners_cards(client, world):
    log_in(client, world.partner_b)

    own = board(client)
    widened = board(client, f"?partner={world.partner_a.id}")
    fragment = board(client, f"?partner={world.partner_a.id}", url=COLUMNS)

    assert own == widened == fragment
    assert own["pending"] == [world.b_mission] and own["in_progress"] == []
    page = client.get(f"{BOARD}?partner={world.partner_a.id}").get_data(as_text=True)
    assert "Alice" not in page and "Arthur" not in page


def test_admin_sees_every_partner_and_may_narrow_to_one(client, world):
    log_in(client, world.admin)

    everyone = board(client)
    only_b = board(client, f"?partner={world.partner_b.id}")

    assert set(everyone["pending"]) == {world.a_mission, world.b_mission}
    assert only_b["pending"] == [world.b_mission] and only_b["in_progress"] == []
    pending = column_html(client, "pending", f"?partner={world.partner_b.id}")
    assert f"flt1_10={world.partner_b.id}" in pending  # the column's list, narrowed too


def test_support_sees_the_board_without_buttons(app, client, world):
    log_in(client, world.support)

    page = client.get(BOARD).get_data(as_text=True)

    assert set(board(client)["pending"]) == {world.a_mission, world.b_mission}
    assert "transition-form" not in page and "data-action" not in page
    refused = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "start"}
    )
    assert refused.status_code == 403


def test_columns_fragment_serves_the_columns_alone_and_is_never_cached(client, world):
    log_in(client, world.partner_a)

    response = client.get(COLUMNS)
    page = client.get(BOARD).get_data(as_text=True)

    assert response.headers["Cache-Control"] == "no-store"
    assert "<html" not in response.get_data(as_text=True)
    assert 'data-url="/admin/board/columns/"' in page and "board.js" in page
    assert board(client, url=COLUMNS) == board(client)


def test_board_is_in_the_menu_after_the_dashboard_in_french(client, world):
    log_in(client, world.partner_a)

    page = client.get(BOARD, headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)

    assert "Tableau du jour" in page and "Terminées aujourd&#39;hui" in page
    menu = page[page.index("nav navbar-nav") :]
    assert menu.index("Tableau de bord") < menu.index("Tableau du jour") < menu.index("Clients")


def test_dashboard_figures_link_to_their_lists(app, client, world):
    log_in(client, world.admin)

    page = client.get(f"/admin/?partner={world.partner_a.id}").get_data(as_text=True)
    links = dict(re.findall(r'data-figure="(\w+)" href="([^"]+)"', page))

    narrowed = f"flt1_10={world.partner_a.id}"
    assert unescape(links["active"]) == f"/admin/missions/?flt0_0=active&{narrowed}"
    assert unescape(links["completed"]) == f"/admin/missions/?flt0_0=completed&{narrowed}"
    assert unescape(links["clients"]).startswith("/admin/clients/?flt0_")
    assert f"/admin/missions/details/?id={world.a_mission}" in page  # the latest missions


def test_active_filter_lists_pending_and_in_progress_missions(app, client, world):
    with app.app_context():
        _, done = register_client(world.partner_a.id, "Camille")
        start_mission(done, partner(world.partner_a))
        complete_mission(done, partner(world.partner_a))
    log_in(client, world.partner_a)

    listed = client.get("/admin/missions/?flt0_0=active").get_data(as_text=True)

    assert "Alice Test" in listed and "Arthur Test" in listed and "Camille" not in listed
    assert "Active (pending or in progress)" in listed


def test_dashboard_links_name_no_other_partner_for_a_partner(client, world):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/?partner={world.partner_b.id}").get_data(as_text=True)

    assert 'href="/admin/missions/?flt0_0=active"' in page


def test_todays_counts_stop_at_their_cap_and_the_queue_counts_exactly(
    app, client, world, monkeypatch
):
    monkeypatch.setattr("admin_app.domain.board.TODAY_COUNT_CAP", 2)
    monkeypatch.setattr("admin_app.admin.board.board_columns.__defaults__", (None, 1))
    with app.app_context():
        for name in ("Emma", "Ella", "Eden"):
            _, mission = register_client(world.partner_a.id, name)
            start_mission(mission, partner(world.partner_a))
            complete_mission(mission, partner(world.partner_a))
    log_in(client, world.partner_a)

    totals = dict(
        re.findall(r'data-status="(\w+)".*?data-total>([^<]+)<', client.get(BOARD).text, re.S)
    )

    assert totals == {"pending": "1", "in_progress": "1", "completed": "2+", "cancelled": "0"}
    assert "and 1+ more" in column_html(client, "completed")
