"""The API's lists (clients, missions: paged by cursor, filtered, searched), a mission's
timeline and notes, and the dashboard: each through the panel's own scoping and search, each
key scope let in or refused, a cost that does not grow with the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from admin_app.data.models import Client, Mission, RoleName, ServiceType, User
from admin_app.domain.missions import cancel_mission, complete_mission, start_mission
from admin_app.domain.timeline import add_note
from admin_app.extensions import db
from tests.conftest import bearer, register_client
from tests.test_query_counts import counted_queries


def get(client, url: str, token: str):
    return client.get(url, headers=bearer(token))


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["items"]]


def field_codes(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.json
    assert answer.content_type == "application/problem+json"
    return {error["field"]: error["code"] for error in answer.json["errors"]}


def every_page(
    client, url: str, token: str, limit: int, cursor: str | None = None
) -> list[list[str]]:
    """The ids of each page of ``url`` from ``cursor`` on, following the cursors to the end."""
    pages = []
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = get(client, f"{url}{'&' if '?' in url else '?'}{query}", token)
        pages.append(ids(answer))
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return pages


def set_times(app, model, row_id: str, **times: datetime) -> None:
    with app.app_context():
        db.session.execute(update(model).where(model.id == row_id).values(**times))
        db.session.commit()


EARLIER = datetime(2025, 6, 1, 12, tzinfo=UTC)


def add_missions(
    app, partner_id: int, count: int, name: str = "Client", start: datetime = EARLIER
) -> list[str]:
    """``count`` clients with a mission each, made a second apart from ``start`` on."""
    made = []
    with app.app_context():
        for index in range(count):
            client_id, mission_id = register_client(partner_id, f"{name}{chr(65 + index % 26)}")
            at = start + timedelta(seconds=index)
            db.session.execute(
                update(Mission).where(Mission.id == mission_id).values(created_at=at)
            )
            db.session.execute(update(Client).where(Client.id == client_id).values(created_at=at))
            made.append(mission_id)
        db.session.commit()
    return made


# Scopes and scoping


def test_a_partner_key_lists_only_its_own_shop_newest_first(client, world, api_token):
    token = api_token(world.partner_a, "read")

    missions = get(client, "/api/v1/missions", token)
    clients = get(client, "/api/v1/clients", token)

    assert ids(missions) == [world.a_started_mission, world.a_mission]
    assert missions.json["next_cursor"] is None
    assert missions.json["items"][0]["status"] == "in_progress"
    assert world.b_client not in ids(clients) and world.a_client in ids(clients)
    assert len(ids(clients)) == 2


def test_a_partner_key_naming_another_partner_still_reads_only_its_own(client, world, api_token):
    token = api_token(world.partner_a, "read")
    url = f"/api/v1/missions?partner_id={world.partner_b.id}"

    assert set(ids(get(client, url, token))) == {world.a_mission, world.a_started_mission}


def test_an_admin_key_lists_every_partner_and_may_name_one(client, world, api_token):
    token = api_token(world.admin, "read")

    everyone = get(client, "/api/v1/missions", token)
    one = get(client, f"/api/v1/missions?partner_id={world.partner_b.id}", token)
    clients = get(client, f"/api/v1/clients?partner_id={world.partner_b.id}", token)

    assert set(ids(everyone)) == {world.a_mission, world.a_started_mission, world.b_mission}
    assert ids(one) == [world.b_mission]
    assert ids(clients) == [world.b_client]


@pytest.mark.parametrize(
    "url",
    ["/api/v1/missions", "/api/v1/clients", "/api/v1/dashboard", "/api/v1/missions/{}/timeline"],
)
def test_a_checkin_key_cannot_read_lists_timelines_or_figures(client, world, api_token, url):
    token = api_token(world.partner_a, "checkin")

    answer = get(client, url.format(world.a_mission), token)

    assert answer.status_code == 403
    assert answer.json["code"] == "forbidden"


@pytest.mark.parametrize("scope", ["read", "checkin"])
def test_only_a_write_key_adds_a_note(client, app, world, api_token, scope):
    url = f"/api/v1/missions/{world.a_mission}/notes"

    refused = client.post(
        url, json={"text": "Hi"}, headers=bearer(api_token(world.partner_a, scope))
    )
    added = client.post(url, json={"text": "Hi"}, headers=bearer(api_token(world.partner_a)))

    assert refused.status_code == 403
    assert added.status_code == 201, added.json
    assert added.json["text"] == "Hi" and added.json["mission_id"] == world.a_mission
    assert added.json["who"] == world.partner_a.email


def test_another_partners_timeline_and_notes_are_404(client, app, world, api_token):
    token = api_token(world.partner_a)
    url = f"/api/v1/missions/{world.b_mission}"

    timeline = get(client, f"{url}/timeline", token)
    note = client.post(f"{url}/notes", json={"text": "Hello"}, headers=bearer(token))

    assert (timeline.status_code, note.status_code) == (404, 404)
    assert note.json["code"] == "not_found"
    with app.app_context():
        assert db.session.get_one(Mission, world.b_mission).notes == []


# Cursors


def test_pages_neither_repeat_nor_skip_rows_when_newer_rows_arrive(client, app, world, api_token):
    token = api_token(world.partner_b, "read")
    older = add_missions(app, world.partner_b.id, 7)

    first = get(client, "/api/v1/missions?limit=3", token)
    later = datetime.now(UTC) + timedelta(hours=1)
    newer = add_missions(app, world.partner_b.id, 4, name="Late", start=later)
    cursor = first.json["next_cursor"]
    rest = every_page(client, "/api/v1/missions", token, limit=3, cursor=cursor)
    fresh = get(client, "/api/v1/missions?limit=3", token)

    # b_mission was made as the test began: the newest before the late ones.
    assert ids(first) == [world.b_mission, *reversed(older[-2:])]
    seen = ids(first) + [mission_id for page in rest for mission_id in page]
    assert seen == [world.b_mission, *reversed(older)]
    assert [len(page) for page in rest] == [3, 2]
    assert not set(newer) & set(seen)
    assert ids(fresh) == list(reversed(newer))[:3]


def test_rows_made_at_the_same_instant_are_each_listed_once(client, app, world, api_token):
    token = api_token(world.partner_b, "read")
    made = add_missions(app, world.partner_b.id, 5)
    instant = datetime(2025, 6, 1, 12, tzinfo=UTC)
    for mission_id in made:
        set_times(app, Mission, mission_id, created_at=instant)

    pages = every_page(client, "/api/v1/missions", token, limit=2)

    listed = [mission_id for page in pages for mission_id in page]
    assert listed == [world.b_mission, *sorted(made, reverse=True)]


def test_client_pages_follow_their_cursor(client, app, world, api_token):
    token = api_token(world.partner_b, "read")
    add_missions(app, world.partner_b.id, 4)

    pages = every_page(client, "/api/v1/clients", token, limit=2)

    listed = [client_id for page in pages for client_id in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert len(set(listed)) == 5 and listed[0] == world.b_client


def test_a_forged_or_foreign_cursor_is_refused_at_the_field(client, world, api_token):
    token = api_token(world.partner_a, "read")
    cursor = get(client, "/api/v1/missions?limit=1", token).json["next_cursor"]
    client_cursor = get(client, "/api/v1/clients?limit=1", token).json["next_cursor"]
    payload, signature = cursor.rsplit(".", 1)
    forged = f"{payload[:-2]}AA.{signature}"

    for bad in ("nonsense", forged, client_cursor, cursor[:-3], f"{payload}."):
        answer = get(client, f"/api/v1/missions?cursor={bad}", token)
        assert field_codes(answer) == {"cursor": "invalid_cursor"}, bad
    assert get(client, f"/api/v1/missions?cursor={cursor}", token).status_code == 200


# Filters


def test_missions_filter_by_status_and_active(client, app, world, api_token):
    token = api_token(world.partner_a, "read")
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        _, done = register_client(world.partner_a.id, "Dora")
        start_mission(done, partner)
        complete_mission(done, partner)
        _, dropped = register_client(world.partner_a.id, "Dan")
        cancel_mission(dropped, partner, "no_show")

    def listed(status: str) -> set[str]:
        return set(ids(get(client, f"/api/v1/missions?status={status}", token)))

    assert listed("pending") == {world.a_mission}
    assert listed("in_progress") == {world.a_started_mission}
    assert listed("active") == {world.a_mission, world.a_started_mission}
    assert listed("completed") == {done}
    assert listed("cancelled") == {dropped}
    assert field_codes(get(client, "/api/v1/missions?status=done", token)) == {
        "status": "not_a_choice"
    }


def test_missions_filter_by_service_type(client, app, world, api_token):
    token = api_token(world.partner_a, "read")
    with app.app_context():
        repair = ServiceType(name_en="Repair", name_fr="Réparation")
        db.session.add(repair)
        db.session.commit()
        repair_id = repair.id
        _, repaired = register_client(world.partner_a.id, "Rita", service_type_id=repair_id)

    answer = get(client, f"/api/v1/missions?service_type_id={repair_id}", token)

    assert ids(answer) == [repaired]
    assert answer.json["items"][0]["service_type_id"] == repair_id
    assert ids(get(client, f"/api/v1/missions?service_type_id={repair_id + 1}", token)) == []


def test_days_of_creation_are_days_of_the_report_time_zone(client, app, world, api_token):
    """Paris is UTC+1 in March: 23:30 UTC on the 9th is already the 10th there."""
    token = api_token(world.partner_a, "read")
    set_times(app, Mission, world.a_mission, created_at=datetime(2025, 3, 9, 23, 30, tzinfo=UTC))
    set_times(app, Mission, world.a_started_mission, created_at=datetime(2025, 3, 9, 22, 59, tzinfo=UTC))  # fmt: skip
    set_times(app, Client, world.a_client, created_at=datetime(2025, 3, 10, 22, 59, tzinfo=UTC))

    def listed(path: str, query: str) -> list[str]:
        return ids(get(client, f"/api/v1/{path}?{query}", token))

    assert listed("missions", "created_from=2025-03-10") == [world.a_mission]
    assert listed("missions", "created_to=2025-03-09") == [world.a_started_mission]
    both = "created_from=2025-03-09&created_to=2025-03-10"
    assert listed("missions", both) == [world.a_mission, world.a_started_mission]
    assert listed("clients", "created_from=2025-03-10&created_to=2025-03-10") == [world.a_client]
    assert listed("clients", "created_from=2025-03-11&created_to=2025-03-12") == []


def test_pages_of_a_day_range_stay_within_it(client, app, world, api_token):
    token = api_token(world.partner_b, "read")
    made = add_missions(app, world.partner_b.id, 6)  # 1 June 2025, 14:00:00 to :05 in Paris
    set_times(app, Mission, made[0], created_at=datetime(2025, 5, 31, 21, 59, tzinfo=UTC))
    set_times(app, Mission, made[5], created_at=datetime(2025, 6, 1, 22, tzinfo=UTC))

    url = "/api/v1/missions?created_from=2025-06-01&created_to=2025-06-01"
    pages = every_page(client, url, token, limit=2)

    assert pages == [[made[4], made[3]], [made[2], made[1]]]


def test_updated_since_keeps_rows_changed_at_or_after_the_moment(client, app, world, api_token):
    token = api_token(world.partner_a, "read")
    set_times(app, Mission, world.a_mission, updated_at=datetime(2025, 1, 1, 10, tzinfo=UTC))
    set_times(app, Mission, world.a_started_mission, updated_at=datetime(2025, 1, 1, 9, tzinfo=UTC))
    set_times(app, Client, world.a_client, updated_at=datetime(2025, 1, 1, 8, tzinfo=UTC))

    def listed(path: str, since: str) -> set[str]:
        return set(ids(get(client, f"/api/v1/{path}?updated_since={since}", token)))

    assert listed("missions", "2025-01-01T10:00:00Z") == {world.a_mission}
    assert listed("missions", "2025-01-01T10:00:00%2B01:00") == {
        world.a_mission, world.a_started_mission
    }  # fmt: skip
    assert listed("missions", "2025-01-01T09:00:00") == {world.a_mission, world.a_started_mission}
    assert world.a_client not in listed("clients", "2025-01-01T08:00:01Z")
    assert world.a_client in listed("clients", "2025-01-01T08:00:00Z")


def test_q_searches_the_client_s_names_email_and_phone_as_the_panel_does(
    client, app, world, api_token
):
    token = api_token(world.admin, "read")
    with app.app_context():
        martin_client, martin = register_client(
            world.partner_a.id, "Zoé", last_name="Dupré-Lefèvre", email="zoe@shop.example.fr",
            phone="+33698765432",
        )  # fmt: skip

    def found(path: str, text: str) -> list[str]:
        return ids(get(client, f"/api/v1/{path}?q={text}", token))

    assert found("missions", "lefevre zoe") == [martin]
    assert found("missions", "shop.example") == [martin]
    assert found("missions", "06 98 76") == [martin]
    assert found("clients", "dupre") == [martin_client]
    assert set(found("missions", "test")) == {
        world.a_mission, world.a_started_mission, world.b_mission
    }  # fmt: skip
    assert found("missions", "nobody") == []
    assert found("missions", "%20") == ids(get(client, "/api/v1/missions", token))


def test_filters_and_search_combine(client, app, world, api_token):
    token = api_token(world.partner_a, "read")

    answer = get(client, "/api/v1/missions?q=arthur&status=in_progress", token)
    none = get(client, "/api/v1/missions?q=arthur&status=pending", token)

    assert ids(answer) == [world.a_started_mission] and ids(none) == []


def test_bad_values_are_named_field_by_field(client, world, api_token):
    token = api_token(world.partner_a, "read")

    def codes(query: str) -> dict[str, str]:
        return field_codes(get(client, f"/api/v1/missions?{query}", token))

    assert codes("limit=0") == {"limit": "number_range"}
    assert codes("limit=101&status=x") == {"limit": "number_range", "status": "not_a_choice"}
    assert codes("limit=ten") == {"limit": "not_a_number"}
    assert codes("created_from=2025-13-01") == {"created_from": "invalid_date"}
    assert codes("created_from=2025-03-02&created_to=2025-03-01") == {"created_to": "date_order"}
    assert codes("created_to=1999-12-31") == {"created_to": "date_out_of_range"}
    assert codes("updated_since=yesterday") == {"updated_since": "invalid_datetime"}
    assert codes("updated_since=9999-12-31T23:00:00-05:00") == {"updated_since": "invalid_datetime"}
    assert codes("service_type_id=99999999999") == {"service_type_id": "not_a_choice"}
    assert codes("stauts=pending") == {"stauts": "unknown_field"}
    answer = get(client, "/api/v1/clients?limit=500", token)
    assert answer.json["errors"][0]["params"] == {"min": 1, "max": 100}
    assert answer.json["errors"][0]["detail"] == "must be between 1 and 100"


def test_the_default_page_holds_50_rows(client, app, world, api_token):
    token = api_token(world.partner_b, "read")
    add_missions(app, world.partner_b.id, 50)

    first = get(client, "/api/v1/missions", token)
    last = get(client, f"/api/v1/missions?cursor={first.json['next_cursor']}", token)

    assert len(ids(first)) == 50 and len(ids(last)) == 1
    assert last.json["next_cursor"] is None


@pytest.mark.parametrize("path", ["clients", "missions"])
def test_a_broad_search_pages_the_same_rows_either_way(
    client, app, world, api_token, monkeypatch, path
):
    """On SQLite a search matching many clients reads the list's own order instead, testing
    each row (``search.is_broad``); the pages are the same."""
    token = api_token(world.partner_b, "read")
    add_missions(app, world.partner_b.id, 9, name="Martin")
    url = f"/api/v1/{path}?q=martin"

    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 1_000_000)
    through_indexes = every_page(client, url, token, limit=4)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 2)
    scanned = every_page(client, url, token, limit=4)

    assert scanned == through_indexes
    assert [len(page) for page in scanned] == [4, 4, 1]


# Timeline and dashboard


def test_the_timeline_shows_notes_and_history_newest_first(client, app, world, api_token):
    token = api_token(world.partner_a, "read")
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        add_note(world.a_started_mission, partner, "Called the client")

    answer = get(client, f"/api/v1/missions/{world.a_started_mission}/timeline", token)

    assert answer.status_code == 200
    entries = answer.json["entries"]
    assert [entry["kind"] for entry in entries] == ["note", "transition", "transition"]
    assert entries[0]["text"] == "Called the client" and entries[0]["who"] == world.partner_a.email
    assert (entries[1]["from_status"], entries[1]["to_status"]) == ("pending", "in_progress")
    assert entries[2]["from_status"] is None and answer.json["cut"] is False


def test_a_note_added_through_the_api_joins_the_timeline(client, world, api_token):
    token = api_token(world.partner_a)
    url = f"/api/v1/missions/{world.a_mission}"

    empty = client.post(f"{url}/notes", json={"text": "   "}, headers=bearer(token))
    missing = client.post(f"{url}/notes", json={}, headers=bearer(token))
    client.post(f"{url}/notes", json={"text": "Left a voicemail"}, headers=bearer(token))
    timeline = get(client, f"{url}/timeline", token)

    assert field_codes(empty) == {"text": "required"} and field_codes(missing) == {
        "text": "required"
    }
    assert timeline.json["entries"][0]["text"] == "Left a voicemail"


def test_the_dashboard_counts_the_key_s_rows(client, world, api_token):
    partner = get(client, "/api/v1/dashboard", api_token(world.partner_a, "read"))
    admin_token = api_token(world.admin, "read")
    everyone = get(client, "/api/v1/dashboard", admin_token)
    one = get(client, f"/api/v1/dashboard?partner_id={world.partner_b.id}", admin_token)

    assert partner.status_code == 200
    assert {k: partner.json[k] for k in ("active", "completed", "clients")} == {
        "active": 2, "completed": 0, "clients": 2
    }  # fmt: skip
    assert [mission["id"] for mission in partner.json["latest"]] == [
        world.a_started_mission, world.a_mission
    ]  # fmt: skip
    assert [(m["client"], m["status"]) for m in partner.json["latest"]] == [
        ("Arthur Test", "in_progress"), ("Alice Test", "pending")
    ]  # fmt: skip
    assert (everyone.json["active"], everyone.json["clients"]) == (3, 3)
    assert (one.json["active"], [m["id"] for m in one.json["latest"]]) == (1, [world.b_mission])
    assert field_codes(get(client, "/api/v1/dashboard?partner_id=x", admin_token)) == {
        "partner_id": "not_a_number"
    }


# Cost


LIST_URLS = [
    "/api/v1/missions",
    "/api/v1/missions?limit=100",
    "/api/v1/missions?status=active&created_from=2000-01-01",
    "/api/v1/missions?q=client",
    "/api/v1/missions?q=clienta&service_type_id=1&updated_since=2000-01-01T00:00:00Z",
    "/api/v1/clients",
    "/api/v1/clients?q=clienta",
    "/api/v1/clients?limit=100&created_to=2099-01-01",
]


def statements_of(app, client, url: str, token: str) -> tuple[int, str | None]:
    """How many statements ``url`` ran, and its next page's cursor if any."""
    with counted_queries(app) as statements:
        answer = get(client, url, token)
    assert answer.status_code == 200, answer.json
    return len(statements), answer.json.get("next_cursor")


def statements_per_url(app, client, token: str) -> dict[str, int]:
    """Each list's first page, and its second (through the cursor) when it has one."""
    counts = {}
    for url in LIST_URLS:
        joiner = "&" if "?" in url else "?"
        counts[url], cursor = statements_of(app, client, f"{url}{joiner}limit=5", token)
        if cursor:
            counts[f"{url} then"], _ = statements_of(
                app, client, f"{url}{joiner}cursor={cursor}", token
            )
    return counts


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_a_page_costs_what_reading_one_mission_costs_whatever_the_rows(
    app, client, make_account, api_token, role
):
    """The key's checks, then one statement: the page's ids and its rows together."""
    partner = make_account(RoleName.PARTNER)
    token = api_token(partner if role is RoleName.PARTNER else make_account(role), "read")
    add_missions(app, partner.id, 12)
    with app.app_context():
        one_mission = db.session.scalars(select(Mission.id)).first()
    one_read, _ = statements_of(app, client, f"/api/v1/missions/{one_mission}", token)

    few = statements_per_url(app, client, token)
    add_missions(app, partner.id, 120)
    many = statements_per_url(app, client, token)
    dashboard, _ = statements_of(app, client, "/api/v1/dashboard", token)

    assert {url: many[url] for url in few} == few
    assert set(many.values()) == {one_read}, many
    assert dashboard == one_read + 1  # the totals, then the newest missions
