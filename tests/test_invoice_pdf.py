"""An invoice or credit note as a PDF (``domain/invoice_pdf.py``, ``admin/invoice_pdf.py``): read
back with pypdf's text extraction, it holds the seller, the buyer (in any script), the number,
the lines and the totals in the invoice's language; the same invoice gives the same bytes; the
download answers only those who may read the invoice, with its headers, and costs the same
number of queries whatever the number of lines or invoices."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from pypdf import PdfReader
from sqlalchemy import select

from admin_app.data.invoicing import InvoiceDocument, ShopLogo, ShopProfile
from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.domain.invoice_pdf import invoice_pdf
from admin_app.domain.invoices import issue_credit_note, issue_invoice, visible_invoice
from admin_app.extensions import db
from tests.attachment_files import png_bytes
from tests.conftest import log_in
from tests.invoice_support import add_profile, another_completed_mission, completed_client
from tests.test_query_counts import counted_queries


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def user(user_id: int) -> User:
    return db.session.get_one(User, user_id)


def invoice_of(partner_id: int, first_name: str, *prices: str, **extra: str):
    """An invoice of ``partner_id`` for a new client with one completed mission a price."""
    client_id, first = completed_client(partner_id, first_name, prices[0], **extra)
    others = [another_completed_mission(partner_id, client_id, price) for price in prices[1:]]
    return issue_invoice(user(partner_id), client_id, [first, *others])


@pytest.fixture
def shops(app, world):
    """Both partners have a profile; A has Alice's invoice (12.00 and 30.00), B Bruno's."""
    with app.app_context():
        add_profile(world.partner_a.id, "Atelier A")
        add_profile(world.partner_b.id, "Boutique B")
        a_invoice = invoice_of(world.partner_a.id, "Alice", "12.00", "30.00",
                               address="1 Main St", city="Paris", postal_code="75001")  # fmt: skip
        b_invoice = invoice_of(world.partner_b.id, "Bruno", "8.00")
        return {
            "a_invoice": a_invoice.id, "a_reference": a_invoice.reference,
            "b_invoice": b_invoice.id,
        }  # fmt: skip


def pdf_url(invoice_id: str) -> str:
    return f"/admin/invoices/pdf/{invoice_id}"


def test_the_pdf_holds_seller_buyer_number_lines_and_totals(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id, "Atelier Ève SARL")
    invoice = invoice_of(partner.id, "Alice", "12.00", "30.00", address="1 Main St",
                         city="Paris", postal_code="75001")  # fmt: skip

    text = pdf_text(invoice_pdf(invoice))

    assert "Atelier Ève SARL" in text and "1 rue de la Paix" in text
    assert "FR12345678901" in text
    assert "Alice Test" in text and "1 Main St" in text and "75001 Paris" in text
    assert invoice.reference in text and "Repair" in text
    assert "€35.00" in text and "€7.00" in text and "€42.00" in text
    assert "€10.00" in text and "€25.00" in text  # the lines' nets
    assert "Payable on receipt." in text


@pytest.mark.parametrize(
    ("first_name", "last_name"), [("Анна", "Ёлкина"), ("Ελένη", "Παπαδοπούλου")]
)
def test_cyrillic_and_greek_names_print(ctx, make_user, first_name, last_name):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id, "Ателье Ева")
    invoice = invoice_of(partner.id, first_name, "9.00", last_name=last_name,
                         email="buyer@example.com", city="Αθήνα")  # fmt: skip

    text = pdf_text(invoice_pdf(invoice))

    assert f"{first_name} {last_name}" in text
    assert "Ателье Ева" in text and "Αθήνα" in text


def test_a_french_client_s_invoice_is_in_french(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    invoice = invoice_of(partner.id, "Élodie", "42.00", language="fr")

    text = pdf_text(invoice_pdf(invoice))

    assert "Facture" in text and "Invoice" not in text
    assert "TVA" in text and "Total TTC" in text and "Total HT" in text and "VENDEUR" in text
    assert format_currency(Decimal("42.00"), "EUR", locale="fr") in text  # "42,00 €"
    assert "Repair (fr)" in text


def test_an_english_client_s_invoice_is_in_english(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    invoice = invoice_of(partner.id, "Emma", "42.00", language="en")

    text = pdf_text(invoice_pdf(invoice))

    assert "Invoice" in text and "Facture" not in text
    assert "VAT" in text and "TVA" not in text and "Total incl. VAT" in text
    assert "€42.00" in text


def test_a_credit_note_names_the_invoice_it_cancels_and_why(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    invoice = invoice_of(partner.id, "Alice", "12.00")
    credit = issue_credit_note(partner, invoice.id, "Billed twice")

    text = pdf_text(invoice_pdf(credit))

    assert "Credit note" in text and credit.reference in text
    assert f"Cancels invoice {invoice.reference}" in text and "Billed twice" in text
    assert "-€12.00" in text


def test_the_shop_s_logo_is_embedded(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    plain = invoice_of(partner.id, "Alice", "12.00")
    logo = ShopLogo(partner_id=partner.id, media_type="image/png", content=png_bytes((120, 40)))
    db.session.add(logo)
    db.session.flush()
    db.session.get_one(ShopProfile, partner.id).logo_id = logo.id
    db.session.commit()
    with_logo = invoice_of(partner.id, "Bruno", "12.00")

    def images(invoice) -> int:
        return len(PdfReader(io.BytesIO(invoice_pdf(invoice))).pages[0].images)

    assert (images(plain), images(with_logo)) == (0, 1)


def test_the_same_invoice_gives_the_same_bytes(app, client, world, shops):
    with app.app_context():
        direct = invoice_pdf(visible_invoice(user(world.partner_a.id), shops["a_invoice"]))
    log_in(client, world.partner_a)

    first = client.get(pdf_url(shops["a_invoice"])).data
    second = client.get(pdf_url(shops["a_invoice"])).data

    assert first == second == direct
    assert first.startswith(b"%PDF-")


def test_many_lines_run_over_pages_and_each_prints(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    prices = [f"{index}.00" for index in range(1, 61)]
    invoice = invoice_of(partner.id, "Alice", *prices)

    content = invoice_pdf(invoice)

    assert len(PdfReader(io.BytesIO(content)).pages) > 1
    assert "€60.00" in pdf_text(content) and "€1,830.00" in pdf_text(content)


def test_the_download_s_headers(client, world, shops):
    log_in(client, world.partner_a)

    response = client.get(pdf_url(shops["a_invoice"]))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{shops["a_reference"]}.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Alice Test" in pdf_text(response.data)


@pytest.mark.parametrize("who", ["staff_a", "admin", "support"])
def test_staff_admins_and_support_download_it(client, world, shops, who):
    log_in(client, getattr(world, who))

    response = client.get(pdf_url(shops["a_invoice"]))

    assert response.status_code == 200 and "Atelier A" in pdf_text(response.data)


@pytest.mark.parametrize("who", ["partner_b", "staff_b"])
def test_another_shop_s_invoice_pdf_answers_404(app, client, world, shops, who):
    log_in(client, getattr(world, who))

    response = client.get(pdf_url(shops["a_invoice"]))

    assert response.status_code == 404 and b"Alice" not in response.data
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == "access.refused")
        ).all()
        assert f"invoice:{shops['a_invoice']}" in refused


@pytest.mark.parametrize("invoice_id", ["00000000-0000-4000-8000-000000000000", "not-an-id", "1,2"])
def test_an_unknown_invoice_pdf_answers_404(client, world, shops, invoice_id):
    log_in(client, world.admin)

    assert client.get(pdf_url(invoice_id)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, shops):
    response = client.get(pdf_url(shops["a_invoice"]))

    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_download_is_audited(app, client, world, shops):
    log_in(client, world.support)

    client.get(pdf_url(shops["a_invoice"]))

    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invoice.pdf")
        ).one()
        assert event.target == f"invoice:{shops['a_invoice']}"
        assert event.actor_id == world.support.id and shops["a_reference"] in event.details


def test_the_invoice_page_and_list_link_the_pdf(client, world, shops):
    log_in(client, world.partner_a)
    url = pdf_url(shops["a_invoice"])

    details = client.get(f"/admin/invoices/details/?id={shops['a_invoice']}")
    listing = client.get("/admin/invoices/")

    assert f'href="{url}"' in details.get_data(as_text=True)
    assert "Download PDF" in details.get_data(as_text=True)
    assert f'href="{url}"' in listing.get_data(as_text=True)


def test_the_pdf_link_speaks_french(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(
        f"/admin/invoices/details/?id={shops['a_invoice']}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)

    assert "Télécharger le PDF" in page


@pytest.mark.parametrize("role", ["partner_a", "admin"])
def test_the_download_costs_the_same_with_1_or_40_lines_and_more_invoices(app, client, world, role):
    with app.app_context():
        add_profile(world.partner_a.id)
        small = invoice_of(world.partner_a.id, "Alice", "12.00").id
        large = invoice_of(world.partner_a.id, "Zoé", *[f"{n}.00" for n in range(1, 41)]).id
    log_in(client, getattr(world, role))

    def queries(invoice_id: str) -> int:
        with counted_queries(app) as statements:
            assert client.get(pdf_url(invoice_id)).status_code == 200
        return len(statements)

    first_small = queries(small)
    with app.app_context():
        for index in range(5):
            invoice_of(world.partner_a.id, f"Client{chr(65 + index)}", "5.00")

    assert queries(large) == first_small
    assert queries(small) == queries(large) < first_small


def test_a_download_serves_the_pdf_drawn_first(app, client, world, shops):
    log_in(client, world.partner_a)
    first = client.get(pdf_url(shops["a_invoice"])).data
    with app.app_context():
        kept = db.session.get_one(InvoiceDocument, shops["a_invoice"])
        assert kept.content == first
        kept.content = b"%PDF-1.4 as kept"
        db.session.commit()

    assert client.get(pdf_url(shops["a_invoice"])).data == b"%PDF-1.4 as kept"
