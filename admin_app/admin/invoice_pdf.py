"""``/admin/invoices/pdf/<id>``: an invoice or credit note as a PDF download, for whoever may
read its page (a shop's partner and staff their shop's, admins and support all); any other id
answers 404. Each download is audited, as list exports are."""

from __future__ import annotations

from flask import Response, abort
from flask_admin import BaseView, expose
from flask_security import current_user

from ..domain.errors import NotFound
from ..domain.invoice_pdf import stored_invoice_pdf
from ..domain.invoices import visible_invoice
from ..platform.audit import record
from .base import AccessGate


class InvoicePdfView(AccessGate, BaseView):
    """No menu entry: the invoice's page and the invoice list link here."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> None:
        """Flask-Admin wants a default view; a PDF is always named by its invoice."""
        abort(404)

    @expose("/<invoice_id>")
    def download(self, invoice_id: str) -> Response:
        try:
            invoice = visible_invoice(current_user, invoice_id)
        except NotFound:
            abort(404)
        content = stored_invoice_pdf(invoice)
        details = {"reference": invoice.reference}
        record("invoice.pdf", target=f"invoice:{invoice.id}", details=details)
        return Response(
            content,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{invoice.reference}.pdf"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
