"""The panel's single access gate and the partner-scoped base view every model view inherits.

Flask-Admin reaches rows by more paths than ``get_query`` (see STACK-NOTES.md): ``get_one`` serves
details, edit, delete and inline editing; actions receive raw ids; lists count in a query of
their own (here one statement built from the scoped query: ``listing.py``, whose machinery
the scoped view mixes in). ``ScopedModelView`` closes each of them here, so no view repeats the
rule.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as url_quote

from flask import abort, flash, redirect, request, session, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user, url_for_security
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import Query
from werkzeug.wrappers import Response

from ..data.models import RoleName
from ..domain.errors import NotFound
from ..domain.scoping import (
    check_all_visible,
    may_change_rows,
    scope_filter,
    sees_all_partners,
    shop_id_of,
    visible_row,
)
from ..domain.search import MAX_WORDS, client_matches, is_broad, rows_of_matching_clients
from ..extensions import db
from ..platform.audit import record
from ..platform.two_factor import must_confirm_recovery_codes
from ..platform.web import has_control_characters
from .filters import FreshChoices, PartnerFilter, read_fresh_choices, row_number
from .listing import ListingMixin, Scan, flash_words_dropped

PANEL_ROLES = (RoleName.ADMIN, RoleName.PARTNER, RoleName.STAFF, RoleName.SUPPORT)
WRITE_VIEWS = frozenset(
    {"create_view", "edit_view", "delete_view", "action_view", "ajax_update", "export"}
)


MAX_PAGE = 100_000
#: Flask-Admin's own words after a save, replaced by each view's message naming the record.
STOCK_SUCCESS = (
    "Record was successfully created.",
    "Record was successfully saved.",
    "Record was successfully deleted.",
)
#: Characters a spreadsheet may read as the start of a formula, the fullwidth forms included.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_formula(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; so does
    one starting with an invisible character (zero-width space, joiner, byte-order mark...),
    which could hide such a start."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_STARTS) or unicodedata.category(value[0]) == "Cf":
        return "'" + value
    return value


@dataclass(frozen=True)
class RowLinks:
    """What every row's buttons share, worked out once a page: Flask-Admin's per-row action
    macros (a ``url_for`` and a form per button per row) cost more than the rest of the page.

    ``details``, ``edit``: URLs that end in ``?id=``, or empty when the user has no such page
    (ids are UUIDs or integers: nothing in them needs quoting). ``titles``: the buttons' tooltips.
    """

    back: str
    csrf: str
    titles: dict[str, str]
    details: str = ""
    edit: str = ""
    delete: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class AccessGate:
    """``is_accessible`` is the one check every panel page passes; anonymous users go to the
    login page (and come back), logged-in users without a role get 403 (a redirect would loop),
    an admin goes nowhere in the panel before setting up two-factor authentication, and nobody
    before confirming they kept the recovery codes just made for them.
    """

    allowed_roles: tuple[RoleName, ...] = PANEL_ROLES

    def is_accessible(self) -> bool:
        return (
            has_panel_role(self.allowed_roles)
            and not needs_two_factor_setup()
            and not must_confirm_recovery_codes()
        )

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
        if has_panel_role(self.allowed_roles) and needs_two_factor_setup():
            flash(gettext("Admins must set up two-factor authentication before anything else."))
            return redirect(url_for("security.two_factor_setup"))
        if has_panel_role(self.allowed_roles) and must_confirm_recovery_codes():
            return redirect(url_for_security("mf_recovery_codes"))
        abort(403)


def has_panel_role(roles: tuple[RoleName, ...]) -> bool:
    """A staff account counts as staff only while its shop is an active partner.

    (The user is taken from ``current_user`` once: each use of that proxy looks the user up
    again, and the menu asks this of every page it lists.)"""
    user = current_user._get_current_object()
    return bool(user.is_authenticated and user.active) and any(
        user.has_role(role) and (role is not RoleName.STAFF or shop_id_of(user) is not None)
        for role in roles
    )


def needs_two_factor_setup() -> bool:
    """Admin accounts must use an authenticator app (TOTP) before any admin page."""
    user = current_user._get_current_object()
    return user.has_role(RoleName.ADMIN) and not user.tf_primary_method


def drop_stock_success() -> None:
    """Remove Flask-Admin's "Record was successfully saved." when the view said what it did
    (one message that names the record, not two)."""
    flashes = session.get("_flashes") or []
    stock = {admin_gettext(text) for text in STOCK_SUCCESS}
    own = [(category, text) for category, text in flashes if text not in stock]
    if len(own) < len(flashes) and any(category == "success" for category, _ in own):
        session["_flashes"] = own


class SecureModelView(AccessGate, ModelView):
    """A model view behind the gate, with the panel's list defaults."""

    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    list_template = "admin/walkin_list.html"
    create_template = "admin/walkin_create.html"
    edit_template = "admin/walkin_edit.html"
    details_template = "admin/walkin_details.html"
    create_modal_template = "admin/walkin_modal_create.html"
    #: Columns cut to one line in lists, the full value shown on hover (lists fit 1366 px).
    truncated_columns: tuple[str, ...] = ()
    #: The create button's words, and what the list says when it has no row yet.
    create_label: str = _l("Create")
    empty_message: str = _l("Nothing here yet.")

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """A return address (``url``) that no redirect may carry is refused before anything
        is done: after the change, the redirect would fail and hide that it was made."""
        refused = super()._handle_view(name, **kwargs)
        if refused is None and has_control_characters(request.values.get("url", "")):
            abort(400)
        return refused

    def _apply_search(
        self, query: Query, count_query: Query | None, joins: dict, count_joins: dict, search: str
    ) -> tuple[Query, Query | None, dict, dict]:
        """Flask-Admin's search (accounts, audit) on the first ``MAX_WORDS`` words: each word is
        a condition on every searchable column, and SQLite refuses thousands of them."""
        words = search.split()
        if len(words) > MAX_WORDS:
            flash_words_dropped()
            search = " ".join(words[:MAX_WORDS])
        return super()._apply_search(query, count_query, joins, count_joins, search)

    def get_one(self, id: Any) -> Any:
        """Rows with integer ids (accounts, audit): a malformed or unknown id answers 404."""
        number = row_number(id)
        if number is None:
            abort(404)
        row = db.session.get(self.model, number)
        if row is None:
            abort(404)
        return row

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        response = super().create_view()
        drop_stock_success()
        return response

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        response = super().edit_view()
        drop_stock_success()
        return response

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Any:
        response = super().delete_view()
        drop_stock_success()
        return response

    def record_title(self, row: Any) -> str:
        """What a record's edit and details pages call it, so they say which record they show."""
        return str(row)

    def row_links(self, return_url: str) -> RowLinks:
        """What every row of a list page (or one details page) shares; see ``RowLinks``."""

        def page(name: str, allowed: bool) -> str:
            return self.get_url(f"{self.endpoint}.{name}") + "?id=" if allowed else ""

        return RowLinks(
            back=url_quote(return_url, safe=""),
            csrf=generate_csrf(),
            titles={
                "select": admin_gettext("Select record"),
                "details": admin_gettext("View Record"),
                "edit": admin_gettext("Edit Record"),
                "delete": admin_gettext("Delete Record"),
                "confirm": admin_gettext("Are you sure you want to delete this record?"),
            },
            details=page("details_view", self.can_view_details),
            edit=page("edit_view", self.can_edit),
            delete=self.get_url(f"{self.endpoint}.delete_view") if self.can_delete else "",
        )

    def row_buttons(self, row: Any, links: RowLinks) -> Markup:
        """A view's own buttons on each row, after details, edit and delete (none here)."""
        return Markup()

    def render(self, template: str, **kwargs: Any) -> str:
        """List pages (they pass ``data`` and ``return_url``) also get ``row_links``."""
        if "data" in kwargs and "return_url" in kwargs:
            kwargs["row_links"] = self.row_links(kwargs["return_url"])
        return super().render(template, **kwargs)

    def _apply_pagination(self, query: Query, page: int | None, page_size: int | None) -> Query:
        """A page number from the URL is kept within what any database accepts as an offset."""
        return super()._apply_pagination(query, min(max(page or 0, 0), MAX_PAGE), page_size)

    def handle_view_exception(self, exc: Exception) -> bool:
        """Never flash a raw database error: let it reach the error pages (500 or 503)."""
        return False


class ScopedModelView(ListingMixin, SecureModelView):
    """Base of every view over rows that belong to a partner (clients, missions).

    Partners reach only their own rows, admins and support staff every row; a row outside the
    scope answers 404 on every path. Support staff read only: every writing path answers 403 and
    its buttons are not shown.
    """

    #: Column and filter names shown only to users who see every partner.
    partner_only_names: tuple[str, ...] = ("partner",)
    #: View functions that change data: 403 for users who only read.
    write_views: frozenset[str] = WRITE_VIEWS
    allow_create = True
    allow_edit = True
    allow_delete = True
    allow_export = True
    can_view_details = True
    #: An export loads its rows in memory (Flask-Admin): bounded, even at a million missions.
    export_max_rows = 50_000
    #: The model's column naming each row's client: searches find clients (``search.py``).
    client_key: str

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allow_create and self.may_write()

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.allow_edit and self.may_write()

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allow_delete and self.may_write()

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.allow_export and self.may_write()

    def may_write(self) -> bool:
        return current_user.is_authenticated and may_change_rows(current_user)

    def sees_all(self) -> bool:
        return current_user.is_authenticated and sees_all_partners(current_user)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name in self.write_views and not self.may_write():
            abort(403)
        if not self._feature_enabled(name):
            abort(404)
        return None

    def _feature_enabled(self, name: str) -> bool:
        """A view that has no such feature (missions are never created by hand) has no page."""
        flags = {
            "create_view": self.allow_create,
            "edit_view": self.allow_edit,
            "delete_view": self.allow_delete,
            "export": self.allow_export,
        }
        return flags.get(name, True)

    def is_action_allowed(self, name: str) -> bool:
        return self.may_write() and super().is_action_allowed(name)

    def get_query(self) -> Query:
        return super().get_query().filter(scope_filter(self.model, current_user))

    def searched(self, query: Query, text: str) -> Query:
        """The rows of the clients matching ``text`` (``search.rows_of_matching_clients``);
        the scope is already filtered, and the search keys are scoped too."""
        client_id = getattr(self.model, self.client_key)
        unchecked = query.enable_assertions(False)
        found = rows_of_matching_clients(unchecked, self.model, client_id, text, current_user)
        return found.enable_assertions(True)

    def search_scan(self, search: str, filters: Any) -> Scan:
        """A search's clients tested row by row in the list's order (see ``search.py``)."""
        by_row = self.get_query().filter(
            client_matches(search, getattr(self.model, self.client_key))
        )
        return Scan(self._narrowed(by_row, None, filters), is_broad(search, current_user))

    def get_one(self, id: Any) -> Any:
        """The row named by ``id`` within the user's scope, else 404 (also for a malformed id)."""
        try:
            return visible_row(self.model, id, current_user)
        except NotFound:
            abort(404)

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Response:
        # Which filters, not their values: a search may name a client, and the log must not.
        details = {"type": export_type, "parameters": sorted(request.args)}
        record("export", target=self.endpoint, details=details)
        return super().export(export_type)

    def get_export_value(self, model: Any, name: str) -> Any:
        return neutralise_formula(super().get_export_value(model, name))

    def handle_action(self, return_view: str | None = None) -> Response:
        """Refuse the whole batch with 404 when any id is outside the user's scope."""
        try:
            check_all_visible(self.model, request.form.getlist("rowid"), current_user)
        except NotFound:
            abort(404)
        return super().handle_action(return_view)

    def render(self, template: str, **kwargs: Any) -> str:
        if not self.sees_all():
            hidden = set(self.partner_only_names)
            for key in ("list_columns", "details_columns"):
                if key in kwargs:
                    kwargs[key] = [column for column in kwargs[key] if column[0] not in hidden]
        return super().render(template, **kwargs)

    def list_url(self, *conditions: tuple[Any, str], partner: int | None = None) -> str:
        """This list filtered by ``conditions``, pairs of one of the view's filters and its
        value, and narrowed to ``partner`` for users who see every partner (the dashboard's
        figures and the board's columns link to their rows)."""
        if partner is not None and self.sees_all():
            by_partner = next(flt for flt in self._filters if isinstance(flt, PartnerFilter))
            conditions = (*conditions, (by_partner, str(partner)))
        args = {}
        for position, (flt, value) in enumerate(conditions):
            arg = self.get_filter_arg(self._filters.index(flt), flt)
            args[f"flt{position}_{arg}"] = value
        return self.get_url(f"{self.endpoint}.index_view", **args)

    def _get_filter_groups(self) -> dict[str, list[dict[str, Any]]] | None:
        """Filters whose choices are read as the page is built (``FreshChoices``: partners,
        service types), in one statement; partner filters only for users who see every
        partner."""
        groups = super()._get_filter_groups()
        if not groups:
            return groups
        shown = {
            label: items
            for label, items in groups.items()
            if self.sees_all()
            or not any(isinstance(self._filters[item["index"]], PartnerFilter) for item in items)
        }
        fresh = {
            item["index"]: self._filters[item["index"]]
            for items in shown.values()
            for item in items
            if isinstance(self._filters[item["index"]], FreshChoices)
        }
        choices = read_fresh_choices(fresh)
        return {
            label: [
                {**item, "options": choices[item["index"]]} if item["index"] in choices else item
                for item in items
            ]
            for label, items in shown.items()
        }


class SecureIndexView(AccessGate, AdminIndexView):
    """The panel's home page."""
