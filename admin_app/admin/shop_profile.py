"""``/admin/shop-profile/``: who issues a shop's invoices (``domain/shop_profiles.py``).

A shop's partner and staff see their own shop, admins and support pick a partner
(``?partner=ID``); the partner and admins edit it, staff and support only read (their POST
answers 403). Another shop's id answers 404, before any 403. The logo is served by
``/admin/shop-profile/logo/<id>``, scoped the same way.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, request, send_file
from flask_admin import BaseView, expose
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from ..config import megabytes
from ..data.invoicing import ShopProfile
from ..domain.accounts import partner_choices
from ..domain.errors import NotAllowed, NotFound
from ..domain.scoping import may_edit_shop_profile, sees_all_partners
from ..domain.shop_profiles import (
    LOGO_MAX_BYTES,
    LOGO_MAX_SIDE,
    LOGO_MIN_SIDE,
    MAX_ADDRESS_LINES,
    MAX_LENGTHS,
    ProfileInput,
    readable_shop,
    save_shop_profile,
    saved_profile,
    shop_logo,
)
from ..platform.http_security import UPLOADED_FILE_POLICY
from .base import AccessGate
from .filters import requested_partner
from .forms import saved_through_rules

#: The profile's fields in words (the audit log names changed fields with them too).
PROFILE_FIELD_LABELS = {
    "legal_name": _l("Legal name"),
    "address": _l("Address"),
    "vat_number": _l("VAT number"),
    "invoice_footer": _l("Invoice footer"),
    "logo": _l("Logo"),
}
#: Accepted by the file picker (a hint only: the content decides).
ACCEPTED_TYPES = "image/png,image/jpeg,.png,.jpg,.jpeg"


class ShopProfileForm(BaseForm):
    """The profile's fields as typed; the domain validates them (CSRF: ``CSRFProtect``)."""

    legal_name = StringField(
        PROFILE_FIELD_LABELS["legal_name"],
        render_kw={"maxlength": MAX_LENGTHS["legal_name"], "required": True},
    )
    address = TextAreaField(
        PROFILE_FIELD_LABELS["address"],
        render_kw={"maxlength": MAX_LENGTHS["address"], "required": True, "rows": 4},
    )
    vat_number = StringField(
        PROFILE_FIELD_LABELS["vat_number"], render_kw={"maxlength": MAX_LENGTHS["vat_number"]}
    )
    invoice_footer = TextAreaField(
        PROFILE_FIELD_LABELS["invoice_footer"],
        render_kw={"maxlength": MAX_LENGTHS["invoice_footer"], "rows": 3},
    )
    logo = FileField(PROFILE_FIELD_LABELS["logo"], render_kw={"accept": ACCEPTED_TYPES})
    remove_logo = BooleanField(_l("Remove the logo"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ShopProfileView(AccessGate, BaseView):
    """The shop profile page; every panel role reads it, the domain says who writes."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        asked = requested_partner()
        if sees_all_partners(current_user) and asked is None and request.method == "GET":
            return self._render(None, None, None)
        try:
            shop_id = readable_shop(current_user, asked)
        except NotFound:
            abort(404)
        profile = saved_profile(shop_id)
        if request.method == "POST":
            if not may_edit_shop_profile(current_user, shop_id):
                abort(403)
            form = ShopProfileForm(CombinedMultiDict((request.files, request.form)))
            if self._saved(form, shop_id):
                return redirect(self.get_url(".index", partner=asked))
            return self._render(shop_id, profile, form)
        return self._render(shop_id, profile, form_of(profile))

    @expose("/logo/<logo_id>")
    def logo(self, logo_id: str) -> Response:
        """A logo of a shop the user reads, as stored (our re-encoding), for the page's
        ``<img>``; nothing in it runs and its type is never guessed."""
        try:
            row = shop_logo(current_user, logo_id)
        except NotFound:
            abort(404)
        response = send_file(
            io.BytesIO(row.content), mimetype=row.media_type, download_name="logo", etag=False
        )
        response.headers["Content-Security-Policy"] = UPLOADED_FILE_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    def _saved(self, form: ShopProfileForm, shop_id: int) -> bool:
        """Save through the rules; on refusal the form keeps the input and says why."""
        upload = form.logo.data
        given = ProfileInput(
            fields={name: form[name].data for name in MAX_LENGTHS},
            expected_version=form.version.data or 0,
            logo=upload.read() if upload else None,
            remove_logo=bool(form.remove_logo.data),
        )
        try:
            if not saved_through_rules(
                form, lambda: save_shop_profile(current_user, shop_id, given)
            ):
                return False
        except NotAllowed:
            abort(403)
        flash(gettext("The shop profile is saved."), "success")
        return True

    def _render(
        self, shop_id: int | None, profile: ShopProfile | None, form: ShopProfileForm | None
    ) -> str:
        all_partners = sees_all_partners(current_user)
        return self.render(
            "admin/shop_profile.html",
            shop_id=shop_id,
            profile=profile,
            form=form,
            may_edit=shop_id is not None and may_edit_shop_profile(current_user, shop_id),
            partners=partner_choices() if all_partners else [],
            partner_id=shop_id if all_partners else None,
            limits={
                "megabytes": megabytes(LOGO_MAX_BYTES),
                "min": LOGO_MIN_SIDE,
                "max": LOGO_MAX_SIDE,
                "lines": MAX_ADDRESS_LINES,
            },
        )


def form_of(profile: ShopProfile | None) -> ShopProfileForm:
    """The form filled from the saved profile, with the version it was read at (0: none);
    the logo's bytes are never loaded for it."""
    saved = {name: getattr(profile, name) for name in MAX_LENGTHS} if profile else {}
    return ShopProfileForm(data={**saved, "version": profile.version if profile else 0})
