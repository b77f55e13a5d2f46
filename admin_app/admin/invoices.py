"""Invoices and credit notes in the panel: listed, filtered and read, never edited or deleted
(no form, no batch action, no export); issued from a completed mission's page or a client's,
cancelled by a credit note from the invoice's page. The rules are in ``domain/invoices.py``."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy.orm import Query
from werkzeug.wrappers import Response

from ..data.invoicing import Invoice, InvoiceKind
from ..data.models import Client, Mission, MissionStatus, is_row_id
from ..domain.errors import InvoiceRefused, NotAllowed, NotFound, ValidationError
from ..domain.invoice_queries import credit_note_of, invoice_search, standing_invoice
from ..domain.invoices import issue_credit_note, issue_invoice
from .base import WRITE_VIEWS, ScopedModelView
from .filters import MAX_YEAR, MIN_YEAR, ChoiceFilter, PartnerFilter, day_filters
from .formatting import local_datetime_formatter, price_text
from .forms import FIELD_LABELS
from .listing import Scan
from .messages import invoice_refusal

KIND_LABELS = {
    InvoiceKind.INVOICE.value: _l("Invoice"),
    InvoiceKind.CREDIT_NOTE.value: _l("Credit note"),
}


class YearFilter(IntEqualFilter):
    """The year an invoice is numbered in; a year no database holds is an invalid value."""

    def validate(self, value: Any) -> bool:
        return isinstance(value, str) and value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR


class ClientFilter(FilterEqual):
    """One client's invoices (the client's page links here); a malformed id is refused."""

    def validate(self, value: Any) -> bool:
        return is_row_id(value)


def kind_formatter(view: Any, context: Any, model: Invoice, name: str) -> str:
    return str(KIND_LABELS[model.kind])


def total_formatter(view: Any, context: Any, model: Invoice, name: str) -> str:
    return price_text(getattr(model, name), model.currency)


def reference_formatter(view: Any, context: Any, model: Invoice, name: str) -> Markup:
    """The number, linking to the invoice's page, and a link to its PDF."""
    url = url_for("invoices.details_view", id=model.id)
    pdf = url_for("invoice_pdf.download", invoice_id=model.id)
    return Markup(
        '<a href="{}">{}</a> <a class="small ml-1" href="{}" download title="{}">PDF</a>'
    ).format(url, model.reference, pdf, gettext("Download PDF"))


#: The list's filter by client (the third of ``InvoiceView.column_filters``), as a URL names it.
CLIENT_FILTER_ARG = "flt0_2"


class InvoiceView(ScopedModelView):
    """Every invoice and credit note a user may see: a shop's partner and staff the shop's,
    admins and support all (support only reads: issuing and crediting answer 403)."""

    details_template = "admin/invoice_details.html"
    allow_create = False
    allow_edit = False
    allow_delete = False
    allow_export = False
    write_views = WRITE_VIEWS | {"issue_view", "credit_view"}
    client_key = "client_id"
    empty_message = _l(
        "No invoice yet: issue one from a completed mission's page or from a client's page."
    )

    column_list = ("reference", "kind", "issued_at", "buyer_name", "total_gross", "partner")
    truncated_columns = ("buyer_name", "partner")
    column_labels = {
        "reference": _l("Number"),
        "kind": _l("Kind"),
        "issued_at": _l("Issued"),
        "buyer_name": _l("Buyer"),
        "total_gross": _l("Total incl. VAT"),
        "partner": FIELD_LABELS["partner"],
    }
    column_formatters = {
        "reference": reference_formatter,
        "kind": kind_formatter,
        "issued_at": local_datetime_formatter,
        "total_gross": total_formatter,
    }
    column_sortable_list = ("issued_at", "buyer_name", "total_gross")
    column_default_sort = ("issued_at", True)
    column_searchable_list = ("buyer_name",)
    column_filters = (
        ChoiceFilter(Invoice.kind, _l("Kind"), options=list(KIND_LABELS.items())),
        YearFilter(Invoice.year, _l("Year")),
        ClientFilter(Invoice.client_id, _l("Client")),
        *day_filters(Invoice.issued_at, _l("Issued")),
        PartnerFilter(Invoice.partner_id, FIELD_LABELS["partner"]),
    )

    def search_placeholder(self) -> str:
        return gettext("Number or buyer's name")

    def searched(self, query: Query, text: str) -> Query:
        return query.filter(invoice_search(text))

    def search_scan(self, search: str, filters: Any) -> Scan | None:
        return None

    def record_title(self, row: Invoice) -> str:
        return gettext(
            "%(kind)s %(reference)s, %(buyer)s",
            kind=KIND_LABELS[row.kind],
            reference=row.reference,
            buyer=row.buyer_name,
        )

    def handle_action(self, return_view: str | None = None) -> Response:
        """No batch action on invoices: whatever is posted answers 404."""
        abort(404)

    def money(self, amount: Any, invoice: Invoice) -> str:
        return price_text(amount, invoice.currency)

    def credit_note(self, invoice: Invoice) -> Invoice | None:
        return credit_note_of(invoice)

    def may_credit(self, invoice: Invoice, credit: Invoice | None) -> bool:
        """The "Issue credit note" form: on an invoice no credit note (``credit``) cancels
        yet, for accounts that write."""
        return self.may_write() and invoice.kind == InvoiceKind.INVOICE.value and credit is None

    @expose("/issue/", methods=("POST",))
    def issue_view(self) -> Response:
        """One invoice for the missions checked (or the one button's mission) of a client."""
        back = get_redirect_target() or url_for(".index_view")
        try:
            invoice = issue_invoice(
                current_user, request.form.get("client_id", ""), request.form.getlist("mission")
            )
        except NotFound:
            abort(404)
        except NotAllowed:
            abort(403)
        except InvoiceRefused as refusal:
            flash(issue_refusal(refusal), "danger")
            return redirect(back)
        flash(gettext("Invoice %(reference)s is issued.", reference=invoice.reference), "success")
        return redirect(url_for(".details_view", id=invoice.id))

    @expose("/credit/", methods=("POST",))
    def credit_view(self) -> Response:
        """Cancel an invoice by a credit note, with the reason given on its page."""
        invoice_id = request.form.get("id", "")
        back = url_for(".details_view", id=invoice_id) if is_row_id(invoice_id) else None
        try:
            credit = issue_credit_note(current_user, invoice_id, request.form.get("reason"))
        except NotFound:
            abort(404)
        except NotAllowed:
            abort(403)
        except ValidationError:
            flash(gettext("Say why the invoice is cancelled: the credit note prints it."), "danger")
            return redirect(back or url_for(".index_view"))
        except InvoiceRefused as refusal:
            flash(gettext("No credit note issued. %(why)s", why=invoice_refusal(refusal)), "danger")
            return redirect(back or url_for(".index_view"))
        flash(
            gettext("Credit note %(reference)s is issued.", reference=credit.reference), "success"
        )
        return redirect(url_for(".details_view", id=credit.id))


def issue_refusal(refusal: InvoiceRefused) -> Markup:
    """Why no invoice was issued; a shop without a profile gets a link to fill it in."""
    words = Markup.escape(gettext("No invoice issued. %(why)s", why=invoice_refusal(refusal)))
    if refusal.reason != "no_shop_profile":
        return words
    return Markup('{} <a href="{}" data-testid="shop-profile-link">{}</a>').format(
        words, url_for("shop_profile.index"), gettext("Open the shop profile")
    )


class InvoiceButtons:
    """What a mission's and a client's pages show of invoicing: the invoice that bills a
    mission, the "Issue invoice" buttons, the link to a client's invoices. Mixed into a
    ``ScopedModelView`` (its ``may_write``)."""

    def price(self, amount: Any, currency: str | None) -> str:
        return price_text(amount, currency)

    def mission_invoice(self, mission: Mission) -> Invoice | None:
        """The invoice that bills a completed mission (only a completed one may have one)."""
        if mission.status != MissionStatus.COMPLETED:
            return None
        return standing_invoice(mission.id)

    def may_invoice(self, mission: Mission, invoice: Invoice | None) -> bool:
        """The "Issue invoice" button: a completed, priced mission no invoice bills yet."""
        return (
            self.may_write()
            and invoice is None
            and mission.status == MissionStatus.COMPLETED
            and mission.price_amount is not None
        )

    def client_invoices_url(self, client: Client) -> str:
        """The invoice list filtered to the client."""
        return url_for("invoices.index_view", **{CLIENT_FILTER_ARG: client.id})
