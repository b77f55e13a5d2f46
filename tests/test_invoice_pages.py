"""The invoice pages: list, filters and search, details, issuing from a mission's and a client's
page, the credit note flow, support reading only, another partner's invoice answering 404 by
every URL, and no URL that edits or deletes an issued invoice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from admin_app.data.invoicing import Invoice, InvoiceLine
from admin_app.data.models import Client, User
from admin_app.domain.invoices import issue_credit_note, issue_invoice
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf
from tests.invoice_support import add_profile, another_completed_mission, completed_client


@pytest.fixture
def shops(app, world):
    """Both partners have a profile; A has Alice's invoice (a completed 12.00 mission) and an
    un-invoiced completed mission of client Zoé; B has Bruno's invoice."""
    with app.app_context():
        add_profile(world.partner_a.id, "Atelier A")
        add_profile(world.partner_b.id, "Boutique B")
        a_client, a_done = completed_client(world.partner_a.id, "Alice", "12.00",
                                            email="alice.b@example.com", address="1 Main St")  # fmt: skip
        a_invoice = issue_invoice(db.session.get_one(User, world.partner_a.id), a_client, [a_done])
        zoe, zoe_done = completed_client(world.partner_a.id, "Zoé", "30.00")
        b_client, b_done = completed_client(world.partner_b.id, "Bruno", "8.00",
                                            email="bruno.b@example.com")  # fmt: skip
        b_invoice = issue_invoice(db.session.get_one(User, world.partner_b.id), b_client, [b_done])
        return {
            "a_invoice": a_invoice.id, "a_reference": a_invoice.reference, "a_client": a_client,
            "zoe": zoe, "zoe_done": zoe_done, "b_invoice": b_invoice.id,
            "b_reference": b_invoice.reference,
        }  # fmt: skip


def invoice_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invoice))


def test_the_list_shows_the_shop_s_invoices_only(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get("/admin/invoices/").get_data(as_text=True)

    assert shops["a_reference"] in page and "Alice Test" in page
    assert "Bruno" not in page
    assert "List (1)" in page


@pytest.mark.parametrize("who", ["admin", "support"])
def test_admins_and_support_list_every_shop_s_invoices(client, world, shops, who):
    log_in(client, getattr(world, who))

    page = client.get("/admin/invoices/").get_data(as_text=True)

    assert "Alice Test" in page and "Bruno Test" in page


def test_filters_and_search_narrow_the_list(app, client, world, shops):
    with app.app_context():
        issue_credit_note(db.session.get_one(User, world.partner_a.id), shops["a_invoice"], "x")
    log_in(client, world.admin)

    def rows(query: str) -> str:
        return client.get(f"/admin/invoices/?{query}").get_data(as_text=True)

    credit_notes = rows("flt0_0=credit_note")
    assert "List (1)" in credit_notes and "Credit note" in credit_notes
    year = shops["a_reference"][:4]
    assert "List (3)" in rows(f"flt0_1={year}")
    assert "Test" not in rows("flt0_1=1999")
    assert "List (2)" in rows(f"flt0_2={shops['a_client']}")
    assert "Bruno Test" in rows("search=bruno") and "Alice Test" not in rows("search=bruno")
    by_reference = rows(f"search={shops['b_reference']}")
    assert "List (2)" in by_reference  # Both shops' first invoice has this number.
    assert "List (1)" in rows(f"search={shops['b_reference']} bruno")


def test_the_details_page_shows_seller_buyer_lines_and_totals(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/invoices/details/?id={shops['a_invoice']}").get_data(as_text=True)

    assert "Atelier A" in page and "FR12345678901" in page
    assert "Alice Test" in page and "1 Main St" in page
    assert "10.00" in page and "2.00" in page and "12.00" in page
    assert 'data-testid="credit-form"' in page


def test_issue_from_a_mission_page(app, client, world, shops):
    log_in(client, world.partner_a)
    mission_page = f"/admin/missions/details/?id={shops['zoe_done']}"
    assert 'data-testid="issue-invoice"' in client.get(mission_page).get_data(as_text=True)

    response = post_with_csrf(
        client, "/admin/invoices/issue/",
        {"client_id": shops["zoe"], "mission": shops["zoe_done"], "url": mission_page},
    )  # fmt: skip

    assert response.status_code == 302 and "/admin/invoices/details/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "is issued" in page and "Zoé Test" in page
    after = client.get(mission_page).get_data(as_text=True)
    assert 'data-testid="mission-invoice"' in after and 'data-testid="issue-invoice"' not in after


def test_issue_from_a_client_page_bills_the_missions_checked(app, client, world, shops):
    with app.app_context():
        second = another_completed_mission(world.partner_a.id, shops["zoe"], "5.00")
    log_in(client, world.partner_a)
    client_page = f"/admin/clients/details/?id={shops['zoe']}"
    page = client.get(client_page).get_data(as_text=True)
    assert shops["zoe_done"] in page and second in page

    response = post_with_csrf(
        client, "/admin/invoices/issue/",
        {"client_id": shops["zoe"], "mission": [shops["zoe_done"], second], "url": client_page},
    )  # fmt: skip

    assert response.status_code == 302
    with app.app_context():
        invoice = db.session.scalars(select(Invoice).where(Invoice.client_id == shops["zoe"])).one()
        assert {line.mission_id for line in invoice.lines} == {shops["zoe_done"], second}
        assert str(invoice.total_gross) == "35.00"
    assert 'data-testid="issue-client-invoice"' not in client.get(client_page).get_data(
        as_text=True
    )


def test_a_refused_issue_says_why_and_issues_nothing(app, client, world, shops):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/invoices/issue/",
        {"client_id": world.a_client, "mission": world.a_mission, "url": "/admin/missions/"},
    )  # fmt: skip

    assert response.status_code == 302 and response.location.endswith("/admin/missions/")
    assert "Only completed missions can be invoiced." in client.get("/admin/missions/").get_data(
        as_text=True
    )
    assert invoice_count(app) == 2


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_issue_and_credit_without_a_valid_csrf_token_change_nothing(
    app, client, world, shops, token
):
    log_in(client, world.partner_a)
    forms = [
        ("/admin/invoices/issue/", {"client_id": shops["zoe"], "mission": shops["zoe_done"]}),
        ("/admin/invoices/credit/", {"id": shops["a_invoice"], "reason": "Wrong price"}),
    ]

    for url, data in forms:
        response = client.post(url, data=data if token is None else {**data, "csrf_token": token})
        assert response.status_code == 400, url

    assert invoice_count(app) == 2


def test_the_credit_note_flow(app, client, world, shops):
    log_in(client, world.staff_a)
    details = f"/admin/invoices/details/?id={shops['a_invoice']}"

    missing_reason = post_with_csrf(client, "/admin/invoices/credit/", {"id": shops["a_invoice"]})
    assert missing_reason.status_code == 302 and invoice_count(app) == 2
    response = post_with_csrf(
        client, "/admin/invoices/credit/", {"id": shops["a_invoice"], "reason": "Wrong price"}
    )

    assert response.status_code == 302
    credit_page = client.get(response.location).get_data(as_text=True)
    assert "Wrong price" in credit_page and "-€12.00" in credit_page
    assert 'data-testid="credited-invoice"' in credit_page
    original = client.get(details).get_data(as_text=True)
    assert (
        'data-testid="credit-note-link"' in original and 'data-testid="credit-form"' not in original
    )
    again = post_with_csrf(
        client, "/admin/invoices/credit/", {"id": shops["a_invoice"], "reason": "again"}
    )
    assert again.status_code == 302 and invoice_count(app) == 3
    assert "already cancelled" in client.get(details).get_data(as_text=True)


def test_support_reads_but_never_issues(app, client, world, shops):
    log_in(client, world.support)

    details = client.get(f"/admin/invoices/details/?id={shops['a_invoice']}")
    mission_page = client.get(f"/admin/missions/details/?id={shops['zoe_done']}")
    client_page = client.get(f"/admin/clients/details/?id={shops['zoe']}")
    issue = post_with_csrf(client, "/admin/invoices/issue/",
                           {"client_id": shops["zoe"], "mission": shops["zoe_done"]})  # fmt: skip
    credit = post_with_csrf(client, "/admin/invoices/credit/",
                            {"id": shops["a_invoice"], "reason": "x"})  # fmt: skip

    assert details.status_code == 200 and "Atelier A" in details.get_data(as_text=True)
    assert 'data-testid="credit-form"' not in details.get_data(as_text=True)
    assert 'data-testid="issue-invoice"' not in mission_page.get_data(as_text=True)
    assert 'data-testid="issue-client-invoice"' not in client_page.get_data(as_text=True)
    assert (issue.status_code, credit.status_code) == (403, 403)
    assert invoice_count(app) == 2


#: Every URL of the invoice view that names one invoice.
NAMING_URLS = [
    ("GET", "/admin/invoices/details/?id={id}", None),
    ("GET", "/admin/invoices/edit/?id={id}", None),
    ("POST", "/admin/invoices/edit/?id={id}", {"buyer_name": "Changed"}),
    ("POST", "/admin/invoices/delete/", {"id": "{id}"}),
    ("POST", "/admin/invoices/action/", {"action": "delete", "rowid": "{id}"}),
    ("POST", "/admin/invoices/ajax/update/", {"list_form_pk": "{id}", "buyer_name": "Changed"}),
    ("POST", "/admin/invoices/credit/", {"id": "{id}", "reason": "mine now"}),
]


def snapshot(app) -> list[tuple]:
    with app.app_context():
        invoices = db.session.execute(select(Invoice.__table__).order_by(Invoice.id)).all()
        lines = db.session.execute(select(InvoiceLine.__table__).order_by(InvoiceLine.id)).all()
        return [tuple(row) for row in [*invoices, *lines]]


def assert_404_and_unchanged(app, client, method, url, data, invoice_id) -> None:
    before = snapshot(app)
    form = {key: value.format(id=invoice_id) for key, value in (data or {}).items()}

    response = client.get(url) if method == "GET" else post_with_csrf(client, url, form)

    assert response.status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize(("method", "url", "data"), NAMING_URLS)
def test_another_partner_s_invoice_answers_404_by_every_url(
    app, client, world, shops, method, url, data
):
    log_in(client, world.partner_b)
    assert_404_and_unchanged(app, client, method, url.format(id=shops["a_invoice"]),
                             data, shops["a_invoice"])  # fmt: skip


#: Every URL that could change or remove an issued invoice, for its own shop and an admin.
CHANGING_URLS = [
    ("GET", "/admin/invoices/edit/?id={id}", None),
    ("POST", "/admin/invoices/edit/?id={id}", {"buyer_name": "Changed", "total_gross": "1"}),
    ("GET", "/admin/invoices/new/", None),
    ("POST", "/admin/invoices/new/", {"buyer_name": "Forged"}),
    ("POST", "/admin/invoices/delete/", {"id": "{id}"}),
    ("POST", "/admin/invoices/action/", {"action": "delete", "rowid": "{id}"}),
    ("POST", "/admin/invoices/ajax/update/", {"list_form_pk": "{id}", "buyer_name": "Changed"}),
    ("GET", "/admin/invoices/ajax/lookup/?name=client&query=a", None),
    ("GET", "/admin/invoices/export/csv/", None),
]


@pytest.mark.parametrize("who", ["partner_a", "admin"])
@pytest.mark.parametrize(("method", "url", "data"), CHANGING_URLS)
def test_no_url_edits_or_deletes_an_issued_invoice(
    app, client, world, shops, who, method, url, data
):
    log_in(client, getattr(world, who))
    assert_404_and_unchanged(app, client, method, url.format(id=shops["a_invoice"]),
                             data, shops["a_invoice"])  # fmt: skip


def test_no_edit_or_delete_button_on_the_pages(client, world, shops):
    log_in(client, world.partner_a)

    pages = [
        client.get("/admin/invoices/").get_data(as_text=True),
        client.get(f"/admin/invoices/details/?id={shops['a_invoice']}").get_data(as_text=True),
    ]

    for page in pages:
        assert "/admin/invoices/edit/" not in page and "/admin/invoices/delete/" not in page
        assert "/admin/invoices/new/" not in page and "/admin/invoices/export/" not in page


def test_deleting_an_invoiced_client_in_the_panel_says_why(app, client, world, shops):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, "/admin/clients/delete/", {"id": shops["a_client"]})

    assert response.status_code == 302
    page = client.get("/admin/clients/").get_data(as_text=True)
    assert "invoices are kept as the law requires" in page
    with app.app_context():
        assert db.session.get(Client, shops["a_client"]) is not None


def test_erasing_an_invoiced_client_in_the_panel_keeps_its_invoice(app, client, world, shops):
    log_in(client, world.admin)
    client_page = client.get(f"/admin/clients/details/?id={shops['a_client']}")
    assert "This client has invoices: they are kept" in client_page.get_data(as_text=True)

    response = post_with_csrf(client, "/admin/clients/erase/", {"id": shops["a_client"]})

    assert response.status_code == 302
    invoice = client.get(f"/admin/invoices/details/?id={shops['a_invoice']}")
    assert "Alice Test" in invoice.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Client, shops["a_client"]).first_name == "Erased"


def test_the_menu_names_invoices(client, world, shops):
    log_in(client, world.partner_a)

    assert 'href="/admin/invoices/"' in client.get("/admin/").get_data(as_text=True)


def test_the_list_speaks_french(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get("/admin/invoices/", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert "Factures" in page and "Total TTC" in page


def test_a_batch_delete_keeps_the_invoiced_client_and_deletes_the_other(app, client, world, shops):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/clients/action/",
        {"action": "delete", "rowid": [shops["a_client"], shops["zoe"]], "url": "/admin/clients/"},
    )  # fmt: skip

    assert response.status_code == 302
    assert "invoices are kept as the law requires" in client.get("/admin/clients/").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(Client, shops["a_client"]) is not None
        assert db.session.get(Client, shops["zoe"]) is None


def test_the_client_page_links_its_invoices_and_each_mission_s_invoice(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/details/?id={shops['a_client']}").get_data(as_text=True)
    link = re.search(r'data-testid="client-invoices"><a href="([^"]+)"', page)
    listed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)

    assert f"/admin/invoices/details/?id={shops['a_invoice']}" in page
    assert shops["a_reference"] in page
    assert "List (1)" in listed and "Alice Test" in listed
