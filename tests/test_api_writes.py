"""Safe writes through the API: a transition sent with ``If-Match`` is made only on the version
it names (412 and nothing written otherwise, even for two writers at once)."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import event, func, select, update

from admin_app.data.models import Mission, MissionEvent, MissionStatus, User
from admin_app.domain.errors import EditConflict
from admin_app.domain.missions import apply_transition
from admin_app.extensions import db
from tests.conftest import bearer, serve


def mission_row(app, mission_id: str) -> tuple[MissionStatus, int, int]:
    """The mission's status and version, and how many history entries it has."""
    with app.app_context():
        mission = db.session.get_one(Mission, mission_id)
        events = db.session.scalar(
            select(func.count()).where(MissionEvent.mission_id == mission_id)
        )
        return mission.status, mission.version, events


def test_a_transition_with_a_stale_if_match_is_412_and_writes_nothing(client, app, world,
                                                                      api_token):  # fmt: skip
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}"
    read = client.get(url, headers=bearer(token))
    client.post(f"{url}/start", headers=bearer(token))
    before = mission_row(app, world.a_mission)

    answer = client.post(
        f"{url}/cancel",
        json={"reason": "no_show"},
        headers={**bearer(token), "If-Match": read.headers["ETag"]},
    )

    assert answer.status_code == 412
    assert answer.content_type == "application/problem+json"
    assert answer.json["code"] == "precondition_failed"
    assert "changed by someone else" in answer.json["detail"]
    assert mission_row(app, world.a_mission) == before
    assert before[0] is MissionStatus.IN_PROGRESS


def test_a_stale_if_match_is_412_even_when_the_action_is_no_longer_allowed(client, world,
                                                                           api_token):  # fmt: skip
    """The caller's premise is checked first: its version is gone, whatever the status says."""
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}"
    read = client.get(url, headers=bearer(token))
    client.post(f"{url}/start", headers=bearer(token))

    again = client.post(f"{url}/start", headers={**bearer(token), "If-Match": read.headers["ETag"]})

    assert again.status_code == 412


def test_a_transition_with_the_current_if_match_is_made_and_answers_the_new_etag(
    client, app, world, api_token
):
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}"
    read = client.get(url, headers=bearer(token))

    started = client.post(
        f"{url}/start", headers={**bearer(token), "If-Match": read.headers["ETag"]}
    )

    assert started.status_code == 200, started.json
    assert started.json["status"] == "in_progress"
    assert started.headers["ETag"] == f'"{read.json["version"] + 1}"'
    assert mission_row(app, world.a_mission)[:2] == (
        MissionStatus.IN_PROGRESS,
        read.json["version"] + 1,
    )


def test_a_transition_without_if_match_or_with_a_star_is_made_as_before(client, world, api_token):
    token = api_token(world.partner_a, "write")

    started = client.post(f"/api/v1/missions/{world.a_mission}/start", headers=bearer(token))
    completed = client.post(
        f"/api/v1/missions/{world.a_mission}/complete", headers={**bearer(token), "If-Match": "*"}
    )

    assert (started.status_code, completed.status_code) == (200, 200)
    assert completed.json["status"] == "completed"


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('W/"1"', 412), ('"one"', 412), ('"99999999999999999999"', 412), ('"1", "2"', 400)],
)
def test_an_if_match_that_names_no_single_version_writes_nothing(
    client, app, world, api_token, if_match, status
):
    """If-Match compares strongly (a weak tag never matches); several tags are refused."""
    token = api_token(world.partner_a, "write")
    before = mission_row(app, world.a_mission)

    answer = client.post(
        f"/api/v1/missions/{world.a_mission}/start", headers={**bearer(token), "If-Match": if_match}
    )

    assert answer.status_code == status
    assert answer.content_type == "application/problem+json"
    assert mission_row(app, world.a_mission) == before


def test_if_match_on_another_partners_mission_is_still_404(client, world, api_token):
    token = api_token(world.partner_a, "write")

    answer = client.post(
        f"/api/v1/missions/{world.b_mission}/start", headers={**bearer(token), "If-Match": '"1"'}
    )

    assert answer.status_code == 404


def test_the_domain_refuses_a_stale_version_and_keeps_the_row(ctx, world):
    partner = db.session.get_one(User, world.partner_a.id)
    version = db.session.get_one(Mission, world.a_mission).version

    with pytest.raises(EditConflict):
        apply_transition(world.a_mission, partner, "start", expected_version=version + 1)

    assert apply_transition(world.a_mission, partner, "start", expected_version=version) is (
        MissionStatus.IN_PROGRESS
    )


def test_a_version_changed_between_the_read_and_the_update_is_refused_by_the_update(ctx, world):
    """Another session edits the mission (its status unchanged, its version bumped) after
    the transition read it and before its UPDATE: the UPDATE itself names the version."""
    partner = db.session.get_one(User, world.partner_a.id)
    version = db.session.get_one(Mission, world.a_mission).version
    edited: list[bool] = []

    def edit_first(conn, cursor, statement, parameters, context, executemany):
        if edited or not statement.lstrip().upper().startswith("UPDATE WALK_IN_MISSION"):
            return
        edited.append(True)
        with db.engine.begin() as other:
            other.execute(
                update(Mission).where(Mission.id == world.a_mission)
                .values(version=Mission.version + 1)
            )  # fmt: skip

    event.listen(db.engine, "before_cursor_execute", edit_first)
    try:
        with pytest.raises(EditConflict):
            apply_transition(world.a_mission, partner, "start", expected_version=version)
    finally:
        event.remove(db.engine, "before_cursor_execute", edit_first)

    db.session.expire_all()
    mission = db.session.get_one(Mission, world.a_mission)
    assert (mission.status, mission.version) == (MissionStatus.PENDING, version + 1)


def test_two_writers_naming_the_same_version_at_once_one_wins_the_other_gets_412(
    app, world, api_token
):
    """Both read the mission before either writes (a true race): the version is checked by
    the UPDATE itself, so the second UPDATE matches no row and is refused, not applied."""
    token = api_token(world.partner_a, "write")
    version = mission_row(app, world.a_mission)[1]
    both_read = threading.Barrier(2, timeout=10)

    def hold_updates(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE WALK_IN_MISSION"):
            both_read.wait()

    def send(url: str, action: str, answers: list) -> None:
        body = {"reason": "no_show"} if action == "cancel" else None
        headers = {**bearer(token), "If-Match": f'"{version}"'}
        answers.append(requests.post(f"{url}{action}", json=body, headers=headers, timeout=30))

    answers: list[requests.Response] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold_updates)
    try:
        with serve(app) as server:
            url = f"{server}/api/v1/missions/{world.a_mission}/"
            threads = [
                threading.Thread(target=send, args=(url, action, answers))
                for action in ("start", "cancel")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        event.remove(engine, "before_cursor_execute", hold_updates)

    assert sorted(answer.status_code for answer in answers) == [200, 412]
    winner = next(answer for answer in answers if answer.status_code == 200)
    loser = next(answer for answer in answers if answer.status_code == 412)
    assert loser.json()["code"] == "precondition_failed"
    status, final_version, events = mission_row(app, world.a_mission)
    assert status.value == winner.json()["status"] and final_version == version + 1
    assert events == 2  # creation + the winner's step
