"""Registering a walk-in client: normalisation, field validation, both-or-neither."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from admin_app.data.models import Client, Mission, MissionEvent, MissionStatus, RoleName
from admin_app.domain.errors import FieldProblem, ValidationError
from admin_app.domain.missions import register_walk_in_client
from admin_app.extensions import db

VALID = {
    "first_name": "Ana",
    "last_name": "Lima",
    "email": "ana.lima@example.com",
    "phone": "06 12 34 56 78",
}


def counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Client, Mission, MissionEvent)
    )


def refused(partner, **changes) -> dict[str, FieldProblem]:
    """Register VALID with ``changes``; return the field problems, checking nothing was
    written."""
    with pytest.raises(ValidationError) as error:
        register_walk_in_client(partner, **{**VALID, **changes})
    assert counts() == (0, 0, 0)
    return error.value.errors


def test_registration_saves_client_and_pending_mission_normalised(make_user):
    partner = make_user(RoleName.PARTNER)

    client, mission = register_walk_in_client(
        partner,
        first_name="  Ana  ",
        last_name="de   Lima",
        email=" Ana.Lima@Example.COM ",
        phone="06 12 34 56 78",
        city=" Paris ",
        postal_code=" 75011 ",
        country="",
    )

    saved = db.session.get_one(Client, client.id)
    assert (saved.first_name, saved.last_name, saved.email) == (
        "Ana",
        "de Lima",
        "ana.lima@example.com",
    )
    assert (saved.phone, saved.city, saved.postal_code) == ("+33612345678", "Paris", "75011")
    assert saved.address is None and saved.country is None
    assert saved.partner_id == partner.id
    assert mission.status is MissionStatus.PENDING and mission.client_id == client.id
    assert mission.partner_id == partner.id and mission.completed_at is None
    assert counts() == (1, 1, 1)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (202) 555-0143", "+12025550143"),
    ],
)
def test_phone_is_stored_in_one_canonical_form(make_user, raw, canonical):
    client, _ = register_walk_in_client(make_user(RoleName.PARTNER), **{**VALID, "phone": raw})

    assert client.phone == canonical


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("李", "小龍"),
        ("Анна", "Иванова"),
        ("محمد", "علي"),
        ("Zoë", "O’Brien-Núñez"),
        ("Ngô", "Bảo Châu"),
    ],
)
def test_names_in_any_script_are_accepted(make_user, first, last):
    client, _ = register_walk_in_client(
        make_user(RoleName.PARTNER), **{**VALID, "first_name": first, "last_name": last}
    )

    assert (client.first_name, client.last_name) == (first, last)


def test_decomposed_accents_are_stored_composed(make_user):
    client, _ = register_walk_in_client(
        make_user(RoleName.PARTNER), **{**VALID, "first_name": "Jose\u0301"}
    )

    assert client.first_name == "Jos\u00e9"


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "phone"])
@pytest.mark.parametrize("empty", ["", "   ", None, "\u00a0\t"])
def test_required_field_left_empty_is_refused(make_user, field, empty):
    errors = refused(make_user(RoleName.PARTNER), **{field: empty})

    assert errors == {field: FieldProblem("required")}


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("first_name", 100), ("last_name", 100), ("address", 255),
        ("city", 100), ("postal_code", 16), ("country", 100),
    ],
)  # fmt: skip
def test_too_long_value_is_refused(make_user, field, limit):
    errors = refused(make_user(RoleName.PARTNER), **{field: "A" * (limit + 1)})

    assert errors == {field: FieldProblem("too_long", {"max": limit})}


def test_longest_allowed_values_are_accepted(make_user):
    client, _ = register_walk_in_client(
        make_user(RoleName.PARTNER), **{**VALID, "first_name": "A" * 100, "address": "x" * 255}
    )

    assert len(client.first_name) == 100 and len(client.address) == 255


def test_over_long_email_is_refused(make_user):
    errors = refused(make_user(RoleName.PARTNER), email="a" * 250 + "@example.com")

    assert errors["email"] == FieldProblem("too_long", {"max": 254})


@pytest.mark.parametrize(
    "email", ["ana", "ana@", "@example.com", "ana@@example.com", "ana lima@example.com",
              "ana@example", "ana@exa mple.com", "<script>@example.com"],
)  # fmt: skip
def test_malformed_email_is_refused(make_user, email):
    assert refused(make_user(RoleName.PARTNER), email=email) == {
        "email": FieldProblem("invalid_email")
    }


@pytest.mark.parametrize(
    "phone", ["12", "abc", "06 12", "+33 1", "+999 123 456 789", "0612345678901234", "+"],
)  # fmt: skip
def test_malformed_phone_is_refused(make_user, phone):
    assert refused(make_user(RoleName.PARTNER), phone=phone) == {
        "phone": FieldProblem("invalid_phone")
    }


@pytest.mark.parametrize(
    ("name", "code"),
    [("Ana2", "name_characters"), ("R2-D2", "name_characters"), ("<b>Ana</b>", "name_characters"),
     ("Ana;", "name_characters"), ("--", "needs_letter"), ("'", "needs_letter")],
)  # fmt: skip
def test_names_with_digits_or_symbols_are_refused(make_user, name, code):
    errors = refused(make_user(RoleName.PARTNER), first_name=name)

    assert errors == {"first_name": FieldProblem(code)}


@pytest.mark.parametrize("field", ["first_name", "city", "address", "email"])
@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b[31m", "\x7f"])
def test_control_characters_are_refused(make_user, field, control):
    errors = refused(make_user(RoleName.PARTNER), **{field: f"Ana{control}x"})

    assert errors == {field: FieldProblem("control_characters")}


def test_postal_code_is_upper_cased_and_checked(make_user):
    partner = make_user(RoleName.PARTNER)
    assert refused(partner, postal_code="75#11") == {
        "postal_code": FieldProblem("postal_code_characters")
    }

    client, _ = register_walk_in_client(partner, **{**VALID, "postal_code": "sw1a 1aa"})

    assert client.postal_code == "SW1A 1AA"


def test_every_invalid_field_is_named_at_once(make_user):
    errors = refused(make_user(RoleName.PARTNER), first_name="", email="nope", phone="12")

    assert errors == {
        "first_name": FieldProblem("required"),
        "email": FieldProblem("invalid_email"),
        "phone": FieldProblem("invalid_phone"),
    }


def test_validation_error_message_names_field_and_problem(make_user):
    with pytest.raises(ValidationError, match="email: not a valid address"):
        register_walk_in_client(make_user(RoleName.PARTNER), **{**VALID, "email": "nope"})


def test_non_text_value_is_refused(make_user):
    assert refused(make_user(RoleName.PARTNER), city=42) == {"city": FieldProblem("not_text")}


def test_unknown_field_is_a_programming_error(make_user):
    with pytest.raises(TypeError, match="partner_id"):
        register_walk_in_client(make_user(RoleName.PARTNER), **VALID, partner_id=99)
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("role", [RoleName.SUPPORT, RoleName.ADMIN])
def test_clients_belong_only_to_partner_accounts(make_user, role):
    errors = refused(make_user(role))

    assert errors == {"partner": FieldProblem("not_active_partner")}


def test_deactivated_partner_cannot_receive_clients(make_user):
    assert refused(make_user(RoleName.PARTNER, active=False)) == {
        "partner": FieldProblem("not_active_partner")
    }


def test_admin_registering_for_a_partner_is_recorded_as_actor(make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)

    client, mission = register_walk_in_client(partner, actor=admin, **VALID)

    creation = db.session.scalars(select(MissionEvent)).one()
    assert client.partner_id == partner.id and creation.actor_id == admin.id
    assert (creation.mission_id, creation.from_status) == (mission.id, None)


def test_failed_mission_insert_leaves_no_client(make_user):
    partner = make_user(RoleName.PARTNER)

    def fail_mission_insert(mapper, connection, target):
        raise RuntimeError("mission insert failed")

    event.listen(Mission, "before_insert", fail_mission_insert)
    try:
        with pytest.raises(RuntimeError, match="mission insert failed"):
            register_walk_in_client(partner, **VALID)
    finally:
        event.remove(Mission, "before_insert", fail_mission_insert)

    db.session.remove()
    assert counts() == (0, 0, 0)


def test_database_failure_on_mission_row_rolls_back_the_client(make_user):
    """The database itself refuses the mission row (its client does not exist): the client
    inserted just before it in the same transaction does not stay either."""
    partner = make_user(RoleName.PARTNER)

    def point_at_missing_client(mapper, connection, target):
        target.client_id = "no-such-client"

    event.listen(Mission, "before_insert", point_at_missing_client)
    try:
        with pytest.raises(IntegrityError):
            register_walk_in_client(partner, **VALID)
    finally:
        event.remove(Mission, "before_insert", point_at_missing_client)

    db.session.remove()
    assert counts() == (0, 0, 0)
