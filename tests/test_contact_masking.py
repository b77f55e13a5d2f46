"""Support staff see clients' emails and phones masked on every page and endpoint they can
open; partners, staff and admins see them in full; a support user's "Reveal" shows one client's
in full and is audited (``domain/masking.py``, ``admin/contact_details.py``)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.domain.missions import start_mission
from admin_app.extensions import db
from tests.conftest import csrf_token, log_in, post_with_csrf, register_client
from tests.test_audit_log_page import log_rows
from tests.test_query_counts import counted_queries

EMAIL = "zoe.quartermain-7731@unique-example.org"
PHONE = "+33698765432"
MASKED_EMAIL = "z•••@unique-example.org"
MASKED_PHONE = "+33 6•• •• •• 32"
#: Every way a page could spell the full values (the phone in national and spaced forms).
FULL_FORMS = (
    EMAIL,
    "zoe.quartermain",
    PHONE,
    "698765432",
    "6 98 76 54 32",
    "06 98 76 54 32",
    "98 76 54",
)
REVEAL = "/admin/clients/reveal/"


@pytest.fixture
def zoe(app, make_account):
    """A partner's client with a unique email and phone, one mission pending (on the board and
    the dashboard) and one started."""
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        client_id, mission_id = register_client(
            partner.id, "Zoé", last_name="Quartermain", email=EMAIL, phone=PHONE, city="Paris"
        )
        _, started = register_client(
            partner.id, "Zoé", last_name="Quartermain", email=EMAIL, phone=PHONE, city="Paris"
        )
        start_mission(started, db.session.get_one(User, partner.id))
    return partner, client_id, mission_id


def readable_pages(partner_id: int, client_id: str, mission_id: str) -> list[str]:
    """Every page and endpoint a support user opens that names the client or its missions."""
    return [
        "/admin/",
        "/admin/figures.json",
        f"/admin/?partner={partner_id}",
        "/admin/board/",
        "/admin/board/columns/",
        f"/admin/board/?partner={partner_id}",
        "/admin/clients/",
        "/admin/clients/?page_size=100",
        "/admin/clients/?search=Quartermain",
        "/admin/clients/?search=zoe.quart",
        "/admin/clients/?search=06+98+76",
        "/admin/clients/?flt0_0=Paris&search=%2B33+6+98",
        f"/admin/clients/details/?id={client_id}",
        "/admin/missions/",
        "/admin/missions/?search=Quartermain",
        "/admin/missions/?search=06+98+76",
        "/admin/missions/?search=zoe.quart",
        f"/admin/missions/details/?id={mission_id}",
        f"/admin/clients/duplicates/?phone=0698765432&partner={partner_id}",
        f"/admin/clients/duplicates/?email={EMAIL}&partner={partner_id}",
    ]


#: What support staff may not open: refused, so nothing of the client is in the answer.
REFUSED_TO_SUPPORT = [
    ("/admin/clients/export/csv/", 403),
    ("/admin/missions/export/csv/", 403),
    ("/admin/clients/export/csv/?search=Quartermain", 403),
    ("/admin/clients/personal-data/?id={client}", 403),
    ("/admin/clients/new-mission/?id={client}", 403),
    ("/admin/clients/edit/?id={client}", 403),
    ("/admin/clients/merge/?id={client}", 403),
    ("/admin/missions/cancel/?id={mission}", 403),
    ("/admin/clients/ajax/lookup/?name=client&query=zoe", 404),
    ("/admin/missions/ajax/lookup/?name=client&query=zoe", 404),
    ("/admin/audit/", 403),
]


def text_of(response) -> str:
    """The body as a person would read it: JSON decoded (its "\\u2022" become "•")."""
    if response.mimetype == "application/json":
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def full_forms_in(text: str) -> list[str]:
    return [form for form in FULL_FORMS if form in text]


def test_support_sees_contact_details_masked_on_every_page_it_opens(app, client, make_account, zoe):
    partner, client_id, mission_id = zoe
    log_in(client, make_account(RoleName.SUPPORT))

    for url in readable_pages(partner.id, client_id, mission_id):
        response = client.get(url)
        assert response.status_code == 200, url
        assert full_forms_in(text_of(response)) == [], url


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clients/",
        "/admin/clients/?search=Quartermain",
        "/admin/clients/?search=06+98+76",
        "/admin/clients/?search=zoe.quart",
        "/admin/clients/details/?id={client}",
        "/admin/missions/",
        "/admin/missions/?search=06+98+76",
        "/admin/missions/details/?id={mission}",
    ],
)
def test_support_search_finds_real_values_and_shows_masked_ones(
    app, client, make_account, zoe, url
):
    _, client_id, mission_id = zoe
    log_in(client, make_account(RoleName.SUPPORT))

    page = client.get(url.format(client=client_id, mission=mission_id)).get_data(as_text=True)

    assert MASKED_EMAIL in page and MASKED_PHONE in page
    if "details" not in url:  # a list's truncated cells show the value on hover, masked
        assert re.search(r'title="[^"]*' + re.escape(MASKED_EMAIL), page)


@pytest.mark.parametrize(("url", "status"), REFUSED_TO_SUPPORT)
def test_support_is_refused_exports_and_lookups_that_would_show_contact_details(
    app, client, make_account, zoe, url, status
):
    _, client_id, mission_id = zoe
    log_in(client, make_account(RoleName.SUPPORT))

    response = client.get(url.format(client=client_id, mission=mission_id))

    assert response.status_code == status
    assert full_forms_in(text_of(response)) == []
    assert MASKED_EMAIL not in text_of(response)


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.STAFF, RoleName.ADMIN])
def test_partners_staff_and_admins_see_contact_details_in_full(
    app, client, make_account, zoe, role
):
    partner, client_id, mission_id = zoe
    viewer = partner
    if role is RoleName.STAFF:
        viewer = make_account(RoleName.STAFF, shop=partner)
    elif role is RoleName.ADMIN:
        viewer = make_account(RoleName.ADMIN)
    log_in(client, viewer)

    for url in (
        "/admin/clients/",
        "/admin/clients/?search=06+98+76",
        f"/admin/clients/details/?id={client_id}",
        "/admin/missions/",
        f"/admin/missions/details/?id={mission_id}",
        "/admin/clients/export/csv/",
        "/admin/missions/export/csv/",
    ):
        page = client.get(url).get_data(as_text=True)
        assert EMAIL in page and PHONE in page, url
        assert MASKED_EMAIL not in page and MASKED_PHONE not in page, url
    details = client.get(f"/admin/clients/details/?id={client_id}").get_data(as_text=True)
    assert 'data-testid="reveal"' not in details


def test_the_duplicate_check_masks_candidates_for_every_role(app, client, zoe):
    partner, _, _ = zoe
    log_in(client, partner)

    answer = client.get("/admin/clients/duplicates/", query_string={"phone": "0698765432"})

    candidates = answer.get_json()["candidates"]
    assert {(c["email"], c["phone"]) for c in candidates} == {(MASKED_EMAIL, MASKED_PHONE)}


def reveal_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.reveal"))
        )


def test_support_reveals_one_client_by_a_post_recorded_in_the_audit_log(
    app, client, make_account, zoe
):
    _, client_id, _ = zoe
    support = make_account(RoleName.SUPPORT)
    log_in(client, support)
    details = client.get(f"/admin/clients/details/?id={client_id}").get_data(as_text=True)
    assert 'data-testid="reveal"' in details and f'action="{REVEAL}"' in details

    response = post_with_csrf(client, REVEAL, {"id": client_id})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert EMAIL in page and PHONE in page
    assert 'data-testid="revealed"' in page and 'data-testid="reveal"' not in page
    (event,) = reveal_events(app)
    assert (event.actor_id, event.actor_email) == (support.id, support.email)
    assert event.target == f"walk_in_client:{client_id}" and event.at is not None
    recorded = json.dumps([event.target, event.details, event.account_email])
    assert full_forms_in(recorded) == []


def test_a_reveal_shows_the_client_again_masked_on_the_next_page(app, client, make_account, zoe):
    _, client_id, _ = zoe
    log_in(client, make_account(RoleName.SUPPORT))
    post_with_csrf(client, REVEAL, {"id": client_id})

    page = client.get(f"/admin/clients/details/?id={client_id}").get_data(as_text=True)

    assert full_forms_in(page) == [] and MASKED_EMAIL in page


def test_a_reveal_without_its_csrf_token_is_refused_and_not_recorded(
    app, client, make_account, zoe
):
    _, client_id, _ = zoe
    log_in(client, make_account(RoleName.SUPPORT))

    response = client.post(REVEAL, data={"id": client_id})

    assert response.status_code == 400
    assert full_forms_in(response.get_data(as_text=True)) == []
    assert reveal_events(app) == []


def test_a_reveal_by_get_is_not_allowed(app, client, make_account, zoe):
    _, client_id, _ = zoe
    log_in(client, make_account(RoleName.SUPPORT))

    response = client.get(REVEAL, query_string={"id": client_id})

    assert response.status_code == 405
    assert reveal_events(app) == []


@pytest.mark.parametrize("client_id", ["", "0" * 32, "00000000-0000-0000-0000-000000000000"])
def test_a_reveal_of_a_missing_client_answers_404(app, client, make_account, zoe, client_id):
    log_in(client, make_account(RoleName.SUPPORT))

    response = post_with_csrf(client, REVEAL, {"id": client_id})

    assert response.status_code == 404
    assert reveal_events(app) == []


def test_another_shops_partner_cannot_reveal_a_client(app, client, make_account, zoe):
    _, client_id, _ = zoe
    log_in(client, make_account(RoleName.PARTNER))

    response = post_with_csrf(client, REVEAL, {"id": client_id})

    assert response.status_code == 404
    assert full_forms_in(response.get_data(as_text=True)) == []
    assert reveal_events(app) == []


def test_the_audit_log_page_shows_the_reveal_in_words(app, client, make_account, zoe):
    _, client_id, _ = zoe
    support = make_account(RoleName.SUPPORT)
    log_in(client, support)
    post_with_csrf(client, REVEAL, {"id": client_id})
    admin = app.test_client()
    log_in(admin, make_account(RoleName.ADMIN))

    (row,) = log_rows(admin, "/admin/audit/?flt0_0=client.reveal")

    assert "Client&#39;s email and phone revealed" in row
    assert support.email in row and client_id[:8] in row
    assert full_forms_in(row) == []


def test_support_pages_cost_the_same_queries_as_an_admins(app, make_account, zoe):
    """Masking reads nothing more: the role is already loaded with the account."""
    partner, client_id, mission_id = zoe
    counts = {}
    for role in (RoleName.SUPPORT, RoleName.ADMIN):
        viewer = app.test_client()
        log_in(viewer, make_account(role))
        for url in readable_pages(partner.id, client_id, mission_id)[:-2]:
            with counted_queries(app) as statements:
                assert viewer.get(url).status_code == 200
            counts[role, url] = len(statements)

    assert {url: n for (role, url), n in counts.items() if role is RoleName.SUPPORT} == {
        url: n for (role, url), n in counts.items() if role is RoleName.ADMIN
    }


def test_the_reveal_page_costs_no_more_than_the_details_page(app, client, make_account, zoe):
    _, client_id, _ = zoe
    log_in(client, make_account(RoleName.SUPPORT))
    token = csrf_token(client, f"/admin/clients/details/?id={client_id}")

    with counted_queries(app) as details:
        client.get(f"/admin/clients/details/?id={client_id}")
    with counted_queries(app) as reveal:
        client.post(REVEAL, data={"id": client_id, "csrf_token": token})

    inserts = [statement for statement in reveal if statement.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert len(reveal) - len(inserts) <= len(details)
