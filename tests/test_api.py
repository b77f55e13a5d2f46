"""The JSON API's foundation: keys (made, hashed, revoked, scoped, throttled), no cookie ever
accepted, problem+json answers, registration and transitions through the panel's rules, and
the OpenAPI document."""

from __future__ import annotations

import hashlib

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from admin_app.data.api_keys import ApiKey
from admin_app.data.models import AuditEvent, Client, Mission, MissionStatus, User
from admin_app.domain.api_keys import make_api_key, revoke_api_key
from admin_app.domain.errors import NotAllowed, ValidationError
from admin_app.extensions import db
from tests.conftest import bearer, log_in

VISITOR = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.com",
           "phone": "+33612345678"}  # fmt: skip


def test_a_key_is_stored_hashed_and_its_token_shown_once(app, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        key, token = make_api_key(partner, partner, "Door tablet", "checkin")
        stored = db.session.get_one(ApiKey, key.id)

    secret = token.split("_", 2)[2]
    assert token.startswith(f"wk_{stored.prefix}_")
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.secret_hash


def test_staff_and_support_cannot_make_keys_and_bad_fields_are_named(app, world):
    with app.app_context():
        staff = db.session.get_one(User, world.staff_a.id)
        partner = db.session.get_one(User, world.partner_a.id)
        other = db.session.get_one(User, world.partner_b.id)
        with pytest.raises(NotAllowed):
            make_api_key(staff, staff, "Mine", "read")
        with pytest.raises(ValidationError) as refused:
            make_api_key(partner, other, " ", "admin")

    assert {name: problem.code for name, problem in refused.value.errors.items()} == {
        "name": "required", "scope": "not_a_choice", "owner": "not_active_partner",
    }  # fmt: skip


def test_no_key_an_unknown_key_or_a_revoked_key_is_401(client, app, world, api_token):
    token = api_token(world.partner_a, "read")
    url = f"/api/v1/missions/{world.a_mission}"
    assert client.get(url, headers=bearer(token)).status_code == 200

    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        revoke_api_key(key.id, db.session.get_one(User, world.partner_a.id))

    for headers in ({}, bearer(token), bearer(token[:-2] + "xx"), bearer("wk_nothing_here")):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 401
        assert answer.content_type == "application/problem+json"
        assert answer.json["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_panel_session_is_not_accepted_and_no_cookie_is_set(client, world):
    log_in(client, world.partner_a)

    answer = client.get(f"/api/v1/missions/{world.a_mission}")

    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers


def test_each_use_stamps_the_key_s_last_use(client, app, world, api_token):
    token = api_token(world.partner_a, "read")

    client.get(f"/api/v1/missions/{world.a_mission}", headers=bearer(token))

    with app.app_context():
        assert db.session.scalar(select(ApiKey.last_used_at)) is not None


def test_a_checkin_key_registers_a_visitor_without_csrf(client, app, world, api_token):
    token = api_token(world.partner_a, "checkin")

    answer = client.post("/api/v1/clients", json=VISITOR, headers=bearer(token))

    assert answer.status_code == 201, answer.json
    mission = answer.json["mission"]
    assert mission["status"] == "pending" and mission["partner_id"] == world.partner_a.id
    assert answer.json["client"]["first_name"] == "Zoé"
    with app.app_context():
        stored = db.session.get_one(Mission, mission["id"])
        assert stored.client.email == "zoe@example.com"


def test_a_checkin_key_cannot_read(client, world, api_token):
    token = api_token(world.partner_a, "checkin")

    answer = client.get(f"/api/v1/missions/{world.a_mission}", headers=bearer(token))

    assert answer.status_code == 403
    assert answer.json["code"] == "forbidden"


def test_a_read_key_cannot_register_or_move_missions(client, world, api_token):
    token = api_token(world.partner_a, "read")

    registered = client.post("/api/v1/clients", json=VISITOR, headers=bearer(token))
    started = client.post(f"/api/v1/missions/{world.a_mission}/start", headers=bearer(token))

    assert (registered.status_code, started.status_code) == (403, 403)


def test_another_partners_rows_are_404(client, world, api_token):
    token = api_token(world.partner_a, "write")

    for method, url in [
        ("GET", f"/api/v1/missions/{world.b_mission}"),
        ("GET", f"/api/v1/clients/{world.b_client}"),
        ("POST", f"/api/v1/missions/{world.b_mission}/start"),
        ("POST", f"/api/v1/clients/{world.b_client}/missions"),
    ]:
        answer = client.open(url, method=method, json={} if method == "POST" else None,
                             headers=bearer(token))  # fmt: skip
        assert answer.status_code == 404, url
        assert answer.json["code"] == "not_found"


def test_invalid_fields_are_named_one_by_one(client, app, world, api_token):
    token = api_token(world.partner_a, "write")
    body = {**VISITOR, "email": "not-an-email", "phone": 42, "nickname": "Zo"}

    answer = client.post("/api/v1/clients", json=body, headers=bearer(token))

    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    codes = {error["field"]: error["code"] for error in answer.json["errors"]}
    assert codes == {"phone": "not_text", "nickname": "unknown_field"}

    answer = client.post(
        "/api/v1/clients", json={**VISITOR, "email": "nope"}, headers=bearer(token)
    )

    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in answer.json["errors"]] == [("email", "invalid_email")]
    with app.app_context():
        assert db.session.scalar(select(Client).where(Client.email == "nope")) is None


def test_an_admin_key_names_the_partner_it_registers_for(client, world, api_token):
    token = api_token(world.admin, "write")

    missing = client.post("/api/v1/clients", json=VISITOR, headers=bearer(token))
    named = client.post(
        "/api/v1/clients", json={**VISITOR, "partner_id": world.partner_b.id}, headers=bearer(token)
    )

    assert missing.status_code == 422
    assert missing.json["errors"][0]["field"] == "partner_id"
    assert named.status_code == 201 and named.json["client"]["partner_id"] == world.partner_b.id


def test_transitions_follow_the_panel_s_rules(client, world, api_token):
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}"

    started = client.post(f"{url}/start", headers=bearer(token))
    again = client.post(f"{url}/start", headers=bearer(token))
    no_reason = client.post(f"{url}/cancel", json={}, headers=bearer(token))
    cancelled = client.post(f"{url}/cancel", json={"reason": "no_show"}, headers=bearer(token))

    assert started.status_code == 200 and started.json["status"] == MissionStatus.IN_PROGRESS
    assert again.status_code == 409 and again.json["code"] == "transition_refused"
    assert no_reason.status_code == 422
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancel_reason"] == "no_show"


def test_reads_carry_the_row_version_as_etag(client, world, api_token):
    token = api_token(world.partner_a, "write")
    url = f"/api/v1/missions/{world.a_mission}"

    before = client.get(url, headers=bearer(token))
    client.post(f"{url}/start", headers=bearer(token))
    after = client.get(url, headers=bearer(token))

    assert before.headers["ETag"] == f'"{before.json["version"]}"'
    assert after.json["version"] == before.json["version"] + 1
    assert after.headers["ETag"] != before.headers["ETag"]


def test_audit_entries_name_the_key(client, app, world, api_token):
    token = api_token(world.partner_a, "write", name="Front desk")

    client.post(f"/api/v1/missions/{world.b_mission}/start", headers=bearer(token))

    with app.app_context():
        refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.refused"))
        assert refused.actor_id == world.partner_a.id
        assert '"api_key": "Front desk (' in refused.details


def test_keys_are_throttled_one_by_one(sibling_app, world, api_token):
    throttled = sibling_app(API_RATE_LIMIT="3 per minute")
    client = throttled.test_client()
    first, second = api_token(world.partner_a, "read"), api_token(world.partner_a, "read")
    url = f"/api/v1/missions/{world.a_mission}"

    answers = [client.get(url, headers=bearer(first)).status_code for _ in range(4)]
    other = client.get(url, headers=bearer(second))

    assert answers == [200, 200, 200, 429]
    assert other.status_code == 200
    refused = client.get(url, headers=bearer(first))
    assert refused.json["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1


def test_an_unknown_api_path_answers_problem_json(client):
    answer = client.get("/api/v1/nowhere")

    assert answer.status_code in (401, 404)
    assert answer.content_type == "application/problem+json"


def test_the_openapi_document_is_valid_and_lists_every_route(client, app):
    answer = client.get("/api/openapi.json")

    assert answer.status_code == 200
    document = answer.json
    validate(document)
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routes = {
        (rule.rule.replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes and routes <= documented
    default = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert default["application/problem+json"]["schema"]["$ref"].endswith("/ProblemOut")


@pytest.mark.parametrize("number", [10**20, -(10**20), 0])
def test_an_id_beyond_the_id_columns_is_a_field_error_not_a_server_error(
    client, world, api_token, number
):
    admin, partner = api_token(world.admin, "write"), api_token(world.partner_a, "write")

    answers = {
        "partner_id": client.post(
            "/api/v1/clients", json={**VISITOR, "partner_id": number}, headers=bearer(admin)
        ),
        "service_type_id": client.post(
            f"/api/v1/clients/{world.a_client}/missions",
            json={"service_type_id": number},
            headers=bearer(partner),
        ),
    }

    for field, answer in answers.items():
        assert answer.status_code == 422, answer.json
        assert answer.json["errors"] == [
            {"field": field, "code": "not_a_choice", "detail": "not one of the choices",
             "params": {}}
        ]  # fmt: skip
