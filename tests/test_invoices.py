"""Invoices and credit notes (``domain/invoices.py``) and what they keep (``invoice_records.py``):
copied lines and totals, gap-free numbers per partner and year, refusals, credit notes, clients
that invoices name kept on delete, merge and erasure."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from admin_app.data.invoicing import Invoice, InvoiceCounter, InvoiceLine
from admin_app.data.messaging import ClientConsent
from admin_app.data.models import (
    AuditEvent,
    Client,
    Mission,
    MissionEvent,
    MissionNote,
    PartnerTally,
    RoleName,
    User,
)
from admin_app.domain.clients import delete_client, erase_client, merge_clients
from admin_app.domain.errors import (
    ClientHasInvoices,
    ClientNotFound,
    InvoiceNotFound,
    InvoiceRefused,
    MergeRefused,
    MissionNotFound,
    NotAllowed,
    ValidationError,
)
from admin_app.domain.invoice_queries import missions_with_billing
from admin_app.domain.invoices import (
    issue_credit_note,
    issue_invoice,
    split_gross,
    visible_invoice,
)
from admin_app.domain.missions import start_mission
from admin_app.domain.tally import recount
from admin_app.domain.timeline import add_note
from admin_app.extensions import db
from tests.conftest import register_client
from tests.invoice_support import (
    add_profile,
    add_service,
    another_completed_mission,
    completed_client,
)


@pytest.fixture
def shop(ctx, make_user):
    """A partner with its profile, and an admin."""
    partner = make_user(RoleName.PARTNER)
    add_profile(partner.id)
    return partner


def invoiceable(client_id: str, viewer: User) -> set[str]:
    return {row.mission.id for row in missions_with_billing(client_id, viewer) if row.invoiceable}


def user(user_id: int) -> User:
    return db.session.get_one(User, user_id)


def test_invoice_copies_seller_buyer_lines_and_language(shop):
    client_id, first = completed_client(
        shop.id, "Élodie", "30.00", address="3 rue Haute", city="Lyon", postal_code="69001",
        language="fr",
    )  # fmt: skip
    second = another_completed_mission(shop.id, client_id, "12.00")

    invoice = issue_invoice(shop, client_id, [second, first])

    assert (invoice.year, invoice.number, invoice.kind) == (datetime.now(UTC).year, 1, "invoice")
    assert invoice.seller_name == "Atelier Ève SARL"
    assert invoice.seller_vat_number == "FR12345678901"
    assert invoice.buyer_name == "Élodie Test"
    assert invoice.buyer_address == "3 rue Haute\n69001 Lyon"
    assert invoice.language == "fr" and invoice.currency == "EUR"
    assert invoice.vat_rate == Decimal("20.00")
    assert [(line.mission_id, line.description, line.gross) for line in invoice.lines] == [
        (first, "Repair (fr)", Decimal("30.00")),
        (second, "Repair (fr)", Decimal("12.00")),
    ]
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        Decimal("35.00"), Decimal("7.00"), Decimal("42.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        ("10.00", "20.00", "8.33", "1.67"),  # 8.3333…
        ("0.03", "20.00", "0.03", "0.00"),  # 0.025 exactly: half up
        ("0.01", "20.00", "0.01", "0.00"),  # 0.00833…
        ("1.03", "20.00", "0.86", "0.17"),  # 0.858333…
        ("105.50", "5.50", "100.00", "5.50"),
        ("-10.00", "20.00", "-8.33", "-1.67"),  # a credit note's line mirrors the invoice's
        ("99999999.99", "20.00", "83333333.33", "16666666.66"),
    ],
)
def test_a_line_splits_into_net_rounded_half_up_and_vat_the_rest(gross, rate, net, vat):
    assert split_gross(Decimal(gross), Decimal(rate)) == (Decimal(net), Decimal(vat))


def test_totals_are_the_sums_of_the_rounded_lines(shop):
    client_id, first = completed_client(shop.id, "Ada", "10.00")
    second = another_completed_mission(shop.id, client_id, "10.00")
    third = another_completed_mission(shop.id, client_id, "10.00")

    invoice = issue_invoice(shop, client_id, [first, second, third])

    # Per line 8.33 + 1.67: the sums, not 30.00 / 1.2 = 25.00 computed on the total.
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        Decimal("24.99"), Decimal("5.01"), Decimal("30.00"),
    )  # fmt: skip
    db.session.expire_all()
    stored = db.session.get_one(Invoice, invoice.id)
    assert stored.total_net + stored.total_vat == stored.total_gross


def test_the_configured_vat_rate_is_copied_onto_the_invoice(shop, monkeypatch, app):
    monkeypatch.setitem(app.config, "INVOICE_VAT_RATE", "5.5")
    client_id, mission = completed_client(shop.id, "Ada", "105.50")

    invoice = issue_invoice(shop, client_id, [mission])

    assert invoice.vat_rate == Decimal("5.50")
    assert (invoice.total_net, invoice.total_vat) == (Decimal("100.00"), Decimal("5.50"))


def test_numbers_run_per_partner_without_gap_credit_notes_included(shop, make_user):
    other = make_user(RoleName.PARTNER)
    add_profile(other.id, "Other shop")
    references = []
    for name in ("Ada", "Bea", "Cy"):
        client_id, mission = completed_client(shop.id, name)
        references.append(issue_invoice(shop, client_id, [mission]))
    client_b, mission_b = completed_client(other.id, "Dan")
    other_first = issue_invoice(other, client_b, [mission_b])
    credit = issue_credit_note(shop, references[0].id, "Wrong client")

    assert [invoice.number for invoice in references] == [1, 2, 3]
    assert other_first.number == 1
    assert credit.number == 4 and credit.year == references[0].year
    counters = db.session.execute(
        select(InvoiceCounter.partner_id, InvoiceCounter.last_number)
    ).all()
    assert sorted(counters) == sorted([(shop.id, 4), (other.id, 1)])


def test_a_refused_issue_gives_no_number_away(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    pending_client, pending = register_client(shop.id, "Bea")

    with pytest.raises(InvoiceRefused):
        issue_invoice(shop, pending_client, [pending])
    invoice = issue_invoice(shop, client_id, [mission])

    assert invoice.number == 1


@pytest.mark.parametrize(
    ("instant", "year"),
    [
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), 2026),  # 23:59 in Paris
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 2027),  # midnight in Paris
    ],
)
def test_the_year_is_the_report_time_zone_s(shop, instant, year):
    client_id, mission = completed_client(shop.id, "Ada")

    invoice = issue_invoice(shop, client_id, [mission], at=instant)

    assert (invoice.year, invoice.number, invoice.reference) == (year, 1, f"{year}-000001")


def test_each_year_starts_at_one(shop):
    client_id, first = completed_client(shop.id, "Ada")
    second = another_completed_mission(shop.id, client_id, "5.00")

    last_of_2026 = issue_invoice(
        shop, client_id, [first], at=datetime(2026, 12, 31, 12, tzinfo=UTC)
    )
    first_of_2027 = issue_invoice(
        shop, client_id, [second], at=datetime(2027, 1, 1, 12, tzinfo=UTC)
    )

    assert (last_of_2026.reference, first_of_2027.reference) == ("2026-000001", "2027-000001")


def test_refusals_say_why(shop):
    no_price_client, no_price = register_client(shop.id, "Nora")  # no service type yet
    start_mission(no_price, shop)
    from admin_app.domain.missions import complete_mission

    complete_mission(no_price, shop)
    client_id, done = completed_client(shop.id, "Ada")
    other_client, other_done = completed_client(shop.id, "Bea")
    pending = register_client(shop.id, "Cy", service_type_id=add_service("3.00"))[1]
    chf_client, chf = completed_client(shop.id, "Dee")
    chf_other = another_completed_mission(shop.id, chf_client, "4.00")
    db.session.execute(text("UPDATE walk_in_mission SET price_currency = 'CHF' WHERE id = :id"),
                       {"id": chf_other})  # fmt: skip
    db.session.commit()
    issue_invoice(shop, client_id, [done])

    cases = {
        "no_missions": (client_id, []),
        "not_completed": (register_client(shop.id, "Eve")[0], []),
        "other_client": (client_id, [other_done]),
        "already_invoiced": (client_id, [done]),
        "no_price": (no_price_client, [no_price]),
        "mixed_currencies": (chf_client, [chf, chf_other]),
    }
    cases["not_completed"] = (db.session.get_one(Mission, pending).client_id, [pending])
    for reason, (client, missions) in cases.items():
        with pytest.raises(InvoiceRefused) as refused:
            issue_invoice(shop, client, missions)
        assert refused.value.reason == reason
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_already_invoiced_names_the_invoice(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    first = issue_invoice(shop, client_id, [mission])

    with pytest.raises(InvoiceRefused) as refused:
        issue_invoice(shop, client_id, [mission])

    assert first.reference in str(refused.value)


def test_a_shop_without_profile_cannot_issue(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    client_id, mission = completed_client(partner.id, "Ada")

    with pytest.raises(InvoiceRefused) as refused:
        issue_invoice(partner, client_id, [mission])

    assert refused.value.reason == "no_shop_profile"
    assert db.session.scalar(select(func.count()).select_from(InvoiceCounter)) == 0


def test_support_never_issues_and_other_partners_rows_are_not_found(shop, make_user):
    support = make_user(RoleName.SUPPORT)
    other = make_user(RoleName.PARTNER)
    add_profile(other.id, "Other")
    client_id, mission = completed_client(shop.id, "Ada")
    other_client, other_mission = completed_client(other.id, "Bea")
    invoice = issue_invoice(shop, client_id, [mission])

    with pytest.raises(NotAllowed):
        issue_invoice(support, client_id, [mission])
    with pytest.raises(NotAllowed):
        issue_credit_note(support, invoice.id, "no")
    with pytest.raises(ClientNotFound):
        issue_invoice(other, client_id, [mission])
    with pytest.raises(MissionNotFound):
        issue_invoice(other, other_client, [other_mission, mission])
    with pytest.raises(InvoiceNotFound):
        issue_credit_note(other, invoice.id, "no")
    with pytest.raises(InvoiceNotFound):
        visible_invoice(other, invoice.id)
    assert visible_invoice(support, invoice.id).id == invoice.id


def test_staff_issue_for_their_shop(shop, make_account):
    from tests.conftest import Account

    staff = user(make_account(RoleName.STAFF, shop=Account(shop.id, shop.email, "")).id)
    client_id, mission = completed_client(shop.id, "Ada")

    invoice = issue_invoice(staff, client_id, [mission])

    assert invoice.partner_id == shop.id and invoice.issued_by_id == staff.id


def test_a_credit_note_cancels_an_invoice_once(shop):
    client_id, first = completed_client(shop.id, "Ada", "10.00")
    second = another_completed_mission(shop.id, client_id, "20.00")
    invoice = issue_invoice(shop, client_id, [first, second])
    assert invoiceable(client_id, shop) == set()

    credit = issue_credit_note(shop, invoice.id, "  Billed twice  ")

    assert credit.kind == "credit_note" and credit.credits_invoice_id == invoice.id
    assert credit.credit_reason == "Billed twice"
    assert (credit.total_net, credit.total_vat, credit.total_gross) == (
        -invoice.total_net, -invoice.total_vat, -invoice.total_gross,
    )  # fmt: skip
    assert [(line.mission_id, line.gross) for line in credit.lines] == [
        (first, Decimal("-10.00")), (second, Decimal("-20.00")),
    ]  # fmt: skip
    assert credit.buyer_name == invoice.buyer_name
    assert invoiceable(client_id, shop) == {first, second}
    with pytest.raises(InvoiceRefused) as again:
        issue_credit_note(shop, invoice.id, "again")
    assert again.value.reason == "already_credited"
    with pytest.raises(InvoiceRefused) as of_credit:
        issue_credit_note(shop, credit.id, "credit the credit")
    assert of_credit.value.reason == "not_an_invoice"
    reissued = issue_invoice(shop, client_id, [first])
    assert reissued.number == 3


def test_a_credit_note_needs_a_reason(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    invoice = issue_invoice(shop, client_id, [mission])

    with pytest.raises(ValidationError) as refused:
        issue_credit_note(shop, invoice.id, "   ")

    assert "reason" in refused.value.errors


def test_issuing_and_crediting_are_audited(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    invoice = issue_invoice(shop, client_id, [mission])
    credit = issue_credit_note(shop, invoice.id, "Wrong")

    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.target).where(AuditEvent.action.like("invoice.%"))
    ).all()

    assert sorted(actions) == [
        ("invoice.credit", f"invoice:{credit.id}"),
        ("invoice.issue", f"invoice:{invoice.id}"),
    ]


def test_the_database_refuses_a_second_number_or_a_second_credit_note(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    invoice = issue_invoice(shop, client_id, [mission])
    issue_credit_note(shop, invoice.id, "Wrong")
    columns = {column.name: getattr(invoice, column.name) for column in Invoice.__table__.columns}

    for changes in ({"number": invoice.number}, {"number": 99, "credits_invoice_id": invoice.id}):
        row = {**columns, "id": f"00000000-0000-4000-8000-00000000000{len(changes)}", **changes}
        with pytest.raises(IntegrityError):
            db.session.execute(Invoice.__table__.insert().values(**row))
        db.session.rollback()


def test_an_invoiced_client_is_not_deleted_by_the_rules(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    issue_invoice(shop, client_id, [mission])

    with pytest.raises(ClientHasInvoices) as refused:
        delete_client(client_id, shop)

    assert refused.value.code == "client_has_invoices"
    assert db.session.get(Client, client_id) is not None


@pytest.mark.parametrize("table", ["walk_in_client", "walk_in_mission"])
def test_the_database_refuses_deleting_an_invoiced_client_or_mission(shop, table):
    client_id, mission = completed_client(shop.id, "Ada")
    issue_invoice(shop, client_id, [mission])
    row_id = client_id if table == "walk_in_client" else mission

    with pytest.raises(IntegrityError):
        db.session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})  # noqa: S608
    db.session.rollback()

    assert db.session.get(Mission, mission) is not None


def test_a_client_without_invoices_is_still_deleted(shop):
    client_id, mission = completed_client(shop.id, "Ada")
    invoice = issue_invoice(shop, client_id, [mission])
    other_client, _ = completed_client(shop.id, "Bea")

    delete_client(other_client, shop)

    assert db.session.get(Client, other_client) is None
    assert db.session.get(Invoice, invoice.id) is not None


def test_an_invoiced_client_is_never_merged_away_but_may_absorb_another(shop, make_user):
    admin = make_user(RoleName.ADMIN)
    invoiced, mission = completed_client(shop.id, "Ada")
    issue_invoice(shop, invoiced, [mission])
    other, other_mission = completed_client(shop.id, "Ada", email="ada2@example.com")

    with pytest.raises(MergeRefused) as refused:
        merge_clients(other, invoiced, admin)
    assert refused.value.reason == "invoiced_client"
    assert merge_clients(invoiced, other, admin) == 1

    assert db.session.get_one(Mission, other_mission).client_id == invoiced


def test_erasing_an_invoiced_client_keeps_the_invoices_and_their_missions_only(shop, make_user):
    admin = make_user(RoleName.ADMIN)
    client_id, billed = completed_client(
        shop.id, "Ada", "10.00", address="3 rue Haute", city="Lyon", email_consent=True
    )
    unbilled = another_completed_mission(shop.id, client_id, "5.00")
    add_note(billed, shop, "Paid in cash")
    invoice = issue_invoice(shop, client_id, [billed])
    credited_lines = [(line.mission_id, line.gross) for line in invoice.lines]

    erase_client(client_id, admin)

    db.session.expire_all()
    client = db.session.get_one(Client, client_id)
    assert (client.first_name, client.last_name, client.email, client.phone) == (
        "Erased", "client", "", "",
    )  # fmt: skip
    assert client.address is None and client.city is None
    kept = db.session.get_one(Invoice, invoice.id)
    assert kept.buyer_name == "Ada Test" and kept.buyer_address == "3 rue Haute\nLyon"
    assert [(line.mission_id, line.gross) for line in kept.lines] == credited_lines
    assert db.session.get(Mission, billed) is not None
    assert db.session.get(Mission, unbilled) is None
    for table in (MissionEvent, MissionNote):
        assert db.session.scalar(select(func.count()).select_from(table)) == 0
    assert db.session.scalar(select(func.count()).select_from(ClientConsent)) == 0
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "client.erase_invoiced"))
        == 1
    )
    tally = db.session.get_one(PartnerTally, shop.id)
    totals = (tally.clients, tally.completed)
    recount()
    db.session.expire_all()
    recounted = db.session.get_one(PartnerTally, shop.id)
    assert totals == (recounted.clients, recounted.completed) == (1, 1)


def test_erasing_a_client_without_invoices_still_removes_it(shop, make_user):
    admin = make_user(RoleName.ADMIN)
    client_id, _ = completed_client(shop.id, "Ada")

    erase_client(client_id, admin)

    assert db.session.get(Client, client_id) is None


def test_sixteen_issuers_at_once_take_numbers_one_to_sixteen(
    app, make_account, sibling_app, database_url
):
    """Sixteen threads, each with its own connection and transaction, issue at one barrier:
    the counter row's lock orders them; no gap, no duplicate."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite lets one writer at a time")
    issuing_app = sibling_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 0})
    shop_id = make_account(RoleName.PARTNER).id
    with app.app_context():
        add_profile(shop_id)
        pairs = [
            completed_client(shop_id, "Client", email=f"client{index}@example.com")
            for index in range(16)
        ]
    barrier = threading.Barrier(len(pairs))
    numbers: list[int] = []
    errors: list[BaseException] = []

    def issue(client_id: str, mission_id: str) -> None:
        with issuing_app.app_context():
            try:
                actor = db.session.get_one(User, shop_id)
                db.session.commit()
                barrier.wait(timeout=30)
                numbers.append(issue_invoice(actor, client_id, [mission_id]).number)
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == list(range(1, 17))
    with app.app_context():
        stored = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert stored == list(range(1, 17))


def test_two_issuers_of_one_mission_at_once_make_one_invoice(shop, app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite lets one writer at a time")
    shop_id = shop.id
    client_id, mission = completed_client(shop_id, "Ada")
    db.session.remove()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def issue() -> None:
        with app.app_context():
            try:
                actor = db.session.get_one(User, shop_id)
                db.session.commit()
                barrier.wait(timeout=30)
                issue_invoice(actor, client_id, [mission])
                outcomes.append("issued")
            except InvoiceRefused as refused:
                outcomes.append(refused.reason)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already_invoiced"] * 3 + ["issued"]
    assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == 1
