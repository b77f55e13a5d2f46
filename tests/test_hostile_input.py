"""Hostile input: XSS payloads stay inert everywhere they are shown, odd parameters never cause
a 5xx, registration through HTTP either saves the normalised values or refuses with errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import delete, select

from admin_app.data.models import Client, Mission
from admin_app.domain.errors import ValidationError
from admin_app.domain.validation import CLIENT_FIELDS, normalise_client_fields
from admin_app.extensions import db
from tests.conftest import (
    Account,
    attempt_login,
    log_in,
    post_with_csrf,
    register_client,
    session_csrf_token,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}}<b>bold</b>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_free_text_fields_are_escaped_on_every_page(app, client, world, payload):
    with app.app_context():
        client_id, mission_id = register_client(
            world.partner_a.id, "Xena", address=payload, city=payload[:100], country=payload[:100]
        )
        db.session.get_one(Mission, mission_id).notes = payload
        db.session.commit()
    log_in(client, world.partner_a)

    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in (
            "/admin/clients/",
            f"/admin/clients/details/?id={client_id}",
            f"/admin/clients/edit/?id={client_id}",
            f"/admin/missions/details/?id={mission_id}",
            f"/admin/missions/edit/?id={mission_id}",
            f"/admin/clients/?search={payload[:20]}",
            "/admin/",
        )
    }

    for url, page in pages.items():
        if "<" in payload:
            assert payload not in page, url
    assert str(escape(payload)) in pages[f"/admin/clients/details/?id={client_id}"]


def test_payload_in_a_refused_form_comes_back_escaped(client, world):
    log_in(client, world.partner_a)
    payload = PAYLOADS[1]

    response = post_with_csrf(
        client,
        "/admin/clients/new/",
        {
            "first_name": "Xena",
            "last_name": "Test",
            "email": "bad",
            "phone": "+33612345678",
            "city": payload,
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and payload not in page
    assert "&#34;&gt;&lt;img" in page or "&quot;&gt;&lt;img" in page


def test_payload_typed_as_a_login_email_never_reaches_the_audit_log(app, client, world):
    """Only a valid address typed in the email field is recorded (it may be a password)."""
    attempt_login(client, Account(0, PAYLOADS[0], "whatever-password-1"))
    admin = app.test_client()
    log_in(admin, world.admin)

    page = admin.get("/admin/audit/?search=login.failure").get_data(as_text=True)

    assert "login.failure" in page
    assert "alert(1)" not in page


def test_dashboard_json_is_json_not_html(client, world):
    log_in(client, world.partner_a)

    response = client.get("/admin/figures.json")

    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


ODD = [
    "x" * 5000,
    "שלום עולם",
    "e\u0301\u0301\u0301",
    "😀🧪🚀",
    "\u202eevil",
    "%FF%FE",
    "' OR '1'='1",
    "\\",
]
LIST_PARAMS = [
    "search={v}",
    "page={v}",
    "sort={v}",
    "desc={v}",
    "page_size={v}",
    "flt0_0={v}",
    "flt9_99={v}",
]


def shows_a_list(page: str) -> bool:
    """Whether ``page`` is a list page: its rows, or the empty list's message."""
    return "model-list" in page or 'data-testid="empty-state"' in page


@pytest.mark.parametrize("view", ["clients", "missions", "audit"])
def test_odd_list_parameters_still_show_the_list(client, world, view):
    log_in(client, world.admin)

    for template in LIST_PARAMS:
        for value in [*ODD, "-1", "99999999999999999999", "0", ""]:
            url = f"/admin/{view}/?{template.format(v=value)}"
            response = client.get(url)
            assert response.status_code == 200, url
            assert shows_a_list(response.get_data(as_text=True)), url


def test_invalid_utf8_in_a_form_is_refused_at_its_field(app, client, world):
    log_in(client, world.partner_a)
    token = session_csrf_token(client)

    response = client.post(
        "/admin/clients/new/",
        data=f"first_name=%FF%FE&last_name=Zorro&email=x%40example.com&phone=%2B33612345678"
        f"&csrf_token={token}".encode(),
        content_type="application/x-www-form-urlencoded",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please correct the fields marked below." in page
    assert re.search(r'id="first_name"[^>]*is-invalid|is-invalid[^>]*id="first_name"', page)
    assert "Use only letters, spaces, hyphens, apostrophes and dots." in page
    with app.app_context():
        assert db.session.scalar(select(Client.id).where(Client.last_name == "Zorro")) is None


def test_partner_cannot_move_a_client_by_posting_hidden_fields(app, client, world):
    log_in(client, world.partner_a)

    post_with_csrf(
        client,
        f"/admin/clients/edit/?id={world.a_client}",
        {"first_name": "Alice", "last_name": "Test", "email": "alice@example.com", "phone": "+33612345678",
         "partner_id": world.partner_b.id, "partner": world.partner_b.id, "id": world.b_client,
         "created_at": "2000-01-01"},
    )  # fmt: skip

    with app.app_context():
        moved = db.session.get_one(Client, world.a_client)
        assert moved.partner_id == world.partner_a.id and moved.created_at.year > 2000
        assert db.session.get_one(Client, world.b_client).first_name == "Bruno"


field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=120
)
phones = st.one_of(field_text, st.sampled_from(["06 12 34 56 78", "+44 20 7946 0958", "0612"]))
emails = st.one_of(field_text, st.emails().map(lambda e: e[:254]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first_name=st.one_of(field_text, st.sampled_from(["Zoé", "李", "  Ana  "])),
    last_name=field_text,
    email=emails,
    phone=phones,
    city=field_text,
    postal_code=field_text,
)
def test_registration_saves_the_normalised_input_or_refuses_it(app, client, world, **fields):
    if not client.get_cookie("session"):
        log_in(client, world.partner_a)
    with app.app_context():
        # Each example starts with no client for the partner (missions and history cascade).
        db.session.execute(delete(Client).where(Client.partner_id == world.partner_a.id))
        db.session.commit()
        try:
            expected = normalise_client_fields(fields, phone_region="FR")
        except ValidationError as error:
            expected, problems = None, error.errors

    response = post_with_csrf(client, "/admin/clients/new/", fields)

    with app.app_context():
        saved = db.session.scalars(
            select(Client).where(Client.partner_id == world.partner_a.id)
        ).all()
    if expected is None:
        assert response.status_code == 200 and saved == []
        page = response.get_data(as_text=True)
        assert "Please correct the fields marked below." in page
        for name in problems:
            assert re.search(rf'id="{name}"[^>]*is-invalid|is-invalid[^>]*id="{name}"', page), name
    else:
        assert response.status_code == 302 and len(saved) == 1
        assert {name: getattr(saved[0], name) for name in CLIENT_FIELDS if name in fields} == {
            name: expected[name] for name in CLIENT_FIELDS if name in fields
        }


LIST = "list"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/admin/clients/?flt0_3=9999-12-31", LIST),
        ("/admin/missions/?flt0_1=2024-01-01+to+9999-12-31", LIST),
        ("/admin/missions/?flt0_2=0001-01-01", LIST),
        ("/admin/clients/?flt0_6=99999999999999999999", LIST),
        ("/admin/missions/?flt0_10=-5", LIST),
        ("/admin/audit/?flt0_3=0001-01-01+to+9999-12-31", LIST),
        ("/admin/figures.json?partner=99999999999999999999", "all figures"),
        ("/admin/accounts/edit/?id=1,2", 404),
        ("/admin/accounts/edit/?id=abc", 404),
        ("/admin/audit/details/?id=1,2", 404),
        ("/admin/audit/details/?id=99999999999999999999", 404),
    ],
)
def test_far_dates_huge_ids_and_odd_keys_are_answered_in_kind(
    app, client, world, monkeypatch, url, expected
):
    """A far date or a huge number in a list's filter shows the list (the filter refused or
    applied); a partner id out of range is ignored; a malformed or unknown row id is 404."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    log_in(client, world.admin)
    client.set_cookie("tz", "Europe/Paris")

    for index in range(20):  # every filter index of the view, whatever its position
        probe = re.sub(r"flt0_\d+", f"flt0_{index}", url) if "flt0_" in url else url
        response = client.get(probe)
        if expected == LIST:
            assert response.status_code == 200, probe
            assert shows_a_list(response.get_data(as_text=True)), probe
        elif expected == "all figures":
            assert response.status_code == 200 and response.json["clients"] == 3, probe
        else:
            assert response.status_code == expected, probe


def test_an_oversized_login_body_is_refused_with_the_panels_page(client):
    response = client.post(
        "/login",
        data=b"email=a%40b.co&password=" + b"x" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "This request is too large" in response.get_data(as_text=True)


def test_a_client_form_with_a_huge_extra_field_saves_nothing(app, client, world):
    log_in(client, world.partner_a)
    fields = {"first_name": "Zoé", "last_name": "Big", "email": "zoe.big@example.com",
              "phone": "+33612345678", "padding": "x" * (2 * 1024 * 1024)}  # fmt: skip

    response = post_with_csrf(client, "/admin/clients/new/", fields)

    assert response.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(Client.id).where(Client.last_name == "Big")) is None


def test_an_oversized_multipart_field_is_refused(client, world):
    log_in(client, world.partner_a)

    response = client.post(
        "/admin/clients/new/",
        data={"first_name": "Zoé", "notes": "x" * 200_000},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413


def test_a_search_of_a_thousand_words_uses_the_first_ones(client, world):
    """The accounts list searches with Flask-Admin's own search (the audit log has filters)."""
    log_in(client, world.admin)
    words = " ".join(f"word{index}" for index in range(1000))

    response = client.get("/admin/accounts/", query_string={"search": words})

    assert response.status_code == 200
    assert "Only the first 8 words of a search are used." in response.get_data(as_text=True)


def other_script_digits(number: int) -> str:
    """``number`` in Arabic-Indic digits, which Python's ``int()`` reads as ASCII ones."""
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


def test_row_ids_and_partner_ids_count_only_ascii_digits(client, world):
    log_in(client, world.admin)
    partner_id = world.partner_a.id
    odd = other_script_digits(partner_id)

    assert client.get(f"/admin/accounts/edit/?id={partner_id}").status_code == 200
    assert client.get(f"/admin/accounts/edit/?id={odd}").status_code == 404
    assert client.get(f"/admin/accounts/edit/?id=+{partner_id}").status_code == 404
    assert client.get(f"/admin/figures.json?partner={partner_id}").json["clients"] == 2
    assert client.get(f"/admin/figures.json?partner={odd}").json["clients"] == 3
