"""Safe writes through the API: a write sent again with its ``Idempotency-Key`` is applied once
and answered as the first time (even two sent at the same instant), the key never names two
requests; a transition sent with ``If-Match`` is made only on the version it names (412 and
nothing written otherwise, even for two writers at once)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
from openapi_spec_validator import validate
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from admin_app.data.api_keys import ApiKey, IdempotentRequest
from admin_app.data.db_types import utcnow
from admin_app.data.models import Client, Mission, MissionEvent, MissionStatus, User
from admin_app.domain.errors import EditConflict
from admin_app.domain.idempotency import claim_key, request_fingerprint
from admin_app.domain.missions import apply_transition
from admin_app.extensions import db
from admin_app.worker import worker_of
from tests.conftest import bearer, serve

VISITOR = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.com",
           "phone": "+33612345678"}  # fmt: skip


def with_key(token: str, key: str) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": key}


def visitors_registered(app, email: str = VISITOR["email"]) -> tuple[int, int]:
    """How many clients have ``email``, and how many missions they have."""
    with app.app_context():
        clients = db.session.scalar(select(func.count()).where(Client.email == email))
        missions = db.session.scalar(
            select(func.count()).select_from(Mission).join(Client).where(Client.email == email)
        )
        return clients, missions


def kept_rows(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(IdempotentRequest.idempotency_key, IdempotentRequest.status)
        )
        return sorted(tuple(row) for row in rows)


def test_a_registration_sent_again_with_its_key_is_answered_again_and_made_once(
    client, app, world, api_token
):
    token = api_token(world.partner_a, "checkin")

    first = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "visit-1"))
    again = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "visit-1"))

    assert first.status_code == again.status_code == 201, first.json
    assert again.get_data() == first.get_data()
    assert again.content_type == "application/json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert visitors_registered(app) == (1, 1)
    assert kept_rows(app) == [("visit-1", 201)]


@pytest.mark.parametrize("other", ["body", "path"])
def test_the_same_key_for_another_request_is_422_and_runs_nothing(
    client, app, world, api_token, other
):
    token = api_token(world.partner_a, "write")
    client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "k"))
    before = mission_row(app, world.a_mission)

    if other == "body":
        answer = client.post(
            "/api/v1/clients", json={**VISITOR, "first_name": "Zoe"}, headers=with_key(token, "k")
        )
    else:
        answer = client.post(
            f"/api/v1/missions/{world.a_mission}/start", headers=with_key(token, "k")
        )

    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    assert answer.json["code"] == "idempotency_key_reused"
    assert answer.json["title"] == "The Idempotency-Key was sent with another request"
    assert visitors_registered(app) == (1, 1)
    assert mission_row(app, world.a_mission) == before


def test_another_api_key_s_idempotency_keys_never_meet_these(client, app, world, api_token):
    first, second = api_token(world.partner_a, "checkin"), api_token(world.partner_a, "checkin")

    answers = [
        client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "same"))
        for token in (first, second)
    ]

    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json["client"]["id"] != answers[1].json["client"]["id"]
    assert visitors_registered(app) == (2, 2)


@pytest.mark.parametrize("key", ["x" * 256, "", "clé", "tab\tin"])
def test_a_key_that_is_too_long_empty_or_not_ascii_is_400_and_runs_nothing(
    client, app, world, api_token, key
):
    token = api_token(world.partner_a, "checkin")

    answer = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, key))

    assert answer.status_code == 400
    assert answer.json["code"] == "idempotency_key_invalid"
    assert "255" in answer.json["detail"]
    assert visitors_registered(app) == (0, 0)
    assert kept_rows(app) == []


def test_a_key_of_255_characters_or_in_quotes_is_accepted(client, app, world, api_token):
    token = api_token(world.partner_a, "checkin")
    longest = "k" * 255

    first = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, longest))
    quoted = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, f'"{longest}"'))

    assert (first.status_code, quoted.status_code) == (201, 201)
    assert quoted.headers["Idempotent-Replayed"] == "true"
    assert visitors_registered(app) == (1, 1)


def test_a_refusal_is_kept_too_and_a_corrected_request_needs_a_new_key(
    client, app, world, api_token
):
    token = api_token(world.partner_a, "checkin")
    wrong = {**VISITOR, "email": "not-an-email"}

    refused = client.post("/api/v1/clients", json=wrong, headers=with_key(token, "try-1"))
    again = client.post("/api/v1/clients", json=wrong, headers=with_key(token, "try-1"))
    corrected = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "try-1"))
    fresh = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "try-2"))

    assert refused.status_code == again.status_code == 422
    assert again.get_data() == refused.get_data()
    assert again.content_type == "application/problem+json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert corrected.json["code"] == "idempotency_key_reused"
    assert fresh.status_code == 201
    assert visitors_registered(app) == (1, 1)


@pytest.mark.parametrize("propagated", [False, True])
def test_a_failure_of_ours_releases_the_key_for_a_retry(
    client, app, world, api_token, monkeypatch, propagated
):
    """A 5xx answer is not kept, nor is a claim whose request raised past every handler: the
    retry with the same key runs afresh (the failure rolled everything back)."""
    token = api_token(world.partner_a, "checkin")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", propagated)
    with app.app_context():
        engine = db.engine

    def fail_once(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO WALK_IN_CLIENT"):
            event.remove(engine, "before_cursor_execute", fail_once)
            raise RuntimeError("the database went away mid-request")

    event.listen(engine, "before_cursor_execute", fail_once)
    if propagated:
        with pytest.raises(RuntimeError):
            client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "flaky"))
    else:
        failed = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "flaky"))
        assert failed.status_code == 500
    assert kept_rows(app) == []

    retried = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "flaky"))

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert visitors_registered(app) == (1, 1)


def test_a_write_whose_answer_cannot_be_kept_still_answers_and_holds_its_key(
    client, app, world, api_token, monkeypatch
):
    """The registration is made; only keeping its answer fails: the client is told it was
    made, and a retry within the claim's lease is not run again (409, not a second client)."""
    token = api_token(world.partner_a, "checkin")
    monkeypatch.setitem(app.config, "API_IDEMPOTENCY_WAIT_SECONDS", 0)
    with app.app_context():
        engine = db.engine

    def fail_keeping(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_IDEMPOTENT_REQUEST"):
            event.remove(engine, "before_cursor_execute", fail_keeping)
            raise OperationalError(statement, parameters, ConnectionError("connection lost"))

    event.listen(engine, "before_cursor_execute", fail_keeping)
    made = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "lost"))
    retried = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "lost"))

    assert made.status_code == 201
    assert retried.status_code == 409 and retried.json["code"] == "idempotency_key_in_flight"
    assert kept_rows(app) == [("lost", None)]
    assert visitors_registered(app) == (1, 1)


def test_two_identical_requests_at_the_same_instant_register_one_client(app, world, api_token):
    """Two threads send the same registration with the same key at once to a live server;
    the first is slowed so the second arrives while it runs. One claims the key, the other
    waits for its answer: one client, one mission, the same answer twice."""
    token = api_token(world.partner_a, "checkin")
    start_together = threading.Barrier(2, timeout=10)
    with app.app_context():
        engine = db.engine

    def slow_registration(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO WALK_IN_CLIENT"):
            time.sleep(0.5)

    def send(server: str, answers: list) -> None:
        start_together.wait()
        answers.append(requests.post(f"{server}/api/v1/clients", json=VISITOR,
                                     headers=with_key(token, "door-42"), timeout=30))  # fmt: skip

    answers: list[requests.Response] = []
    event.listen(engine, "before_cursor_execute", slow_registration)
    try:
        with serve(app) as server:
            threads = [threading.Thread(target=send, args=(server, answers)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        event.remove(engine, "before_cursor_execute", slow_registration)

    assert [answer.status_code for answer in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(answer.headers.get("Idempotent-Replayed", "") for answer in answers) == [
        "",
        "true",
    ]
    assert visitors_registered(app) == (1, 1)


def claim_for(app, token: str, path: str, body: bytes, key: str) -> None:
    """Claim ``key`` as a request that is still running would have."""
    with app.app_context():
        prefix = token.split("_")[1]
        key_id = db.session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
        fingerprint = request_fingerprint("POST", path, body)
        claim_key(key_id, key, fingerprint, wait_seconds=0)


def test_a_retry_while_the_first_still_runs_past_the_wait_is_409_with_retry_after(
    client, app, world, api_token, monkeypatch
):
    token = api_token(world.partner_a, "write")
    monkeypatch.setitem(app.config, "API_IDEMPOTENCY_WAIT_SECONDS", 0.2)
    url = f"/api/v1/missions/{world.a_mission}/start"
    claim_for(app, token, url, b"", "busy")

    running = client.post(url, headers=with_key(token, "busy"))
    other = client.post(
        f"/api/v1/missions/{world.a_mission}/cancel",
        json={"reason": "no_show"},
        headers=with_key(token, "busy"),
    )

    assert running.status_code == 409
    assert running.json["code"] == "idempotency_key_in_flight"
    assert running.headers["Retry-After"] == "1"
    assert other.json["code"] == "idempotency_key_reused"
    assert mission_row(app, world.a_mission)[0] is MissionStatus.PENDING


def test_a_claim_abandoned_past_its_lease_is_claimed_again(client, app, world, api_token):
    """Its process died (or could not release it): the retry runs instead of waiting a day."""
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}/start"
    claim_for(app, token, url, b"", "orphan")
    with app.app_context():
        db.session.execute(
            update(IdempotentRequest).values(created_at=utcnow() - timedelta(minutes=2))
        )
        db.session.commit()

    answer = client.post(url, headers=with_key(token, "orphan"))

    assert answer.status_code == 200
    assert "Idempotent-Replayed" not in answer.headers
    assert kept_rows(app) == [("orphan", 200)]


def test_a_transition_retried_with_its_key_is_answered_again_not_refused(
    client, app, world, api_token
):
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}/start"

    first = client.post(url, headers=with_key(token, "start-1"))
    again = client.post(url, headers=with_key(token, "start-1"))
    unkeyed = client.post(url, headers=bearer(token))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert unkeyed.status_code == 409  # without a key, a second start is a second request
    assert mission_row(app, world.a_mission)[2] == 2  # creation + one start


def test_answers_expire_after_a_day(client, app, world, api_token):
    """An expired key names a new request at once; the worker's hourly prune deletes the
    expired rows and keeps the others."""
    token = api_token(world.partner_a, "checkin")
    for key in ("old", "older", "recent"):
        body = {**VISITOR, "email": f"{key}@example.com"}
        client.post("/api/v1/clients", json=body, headers=with_key(token, key))
    with app.app_context():
        for key, hours in (("old", 25), ("older", 30), ("recent", 23)):
            db.session.execute(
                update(IdempotentRequest)
                .where(IdempotentRequest.idempotency_key == key)
                .values(created_at=utcnow() - timedelta(hours=hours))
            )
        db.session.commit()

    reused = client.post("/api/v1/clients", json=VISITOR, headers=with_key(token, "old"))
    pruned = worker_of(app).prune()

    assert reused.status_code == 201 and "Idempotent-Replayed" not in reused.headers
    assert pruned == 1
    assert kept_rows(app) == [("old", 201), ("recent", 201)]


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


def test_the_openapi_document_names_the_keys_on_every_write_and_if_match_on_transitions(client):
    document = client.get("/api/openapi.json").json
    validate(document)

    headers = {
        (method.upper(), path): {p["name"] for p in operation.get("parameters", [])}
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    writes = {route: names for route, names in headers.items() if route[0] == "POST"}
    assert writes and all("Idempotency-Key" in names for names in writes.values())
    assert all("Idempotency-Key" not in names for (method, _), names in headers.items()
               if method == "GET")  # fmt: skip
    transitions = {path for (_, path), names in writes.items() if "If-Match" in names}
    assert transitions == {
        f"/api/v1/missions/{{mission_id}}/{action}" for action in ("start", "complete", "cancel")
    }
