"""Flask-Security's pages (login, two-factor, recovery codes, password) in the panel's layout.

Their templates (``templates/security/``) extend ``admin/master.html``, so they get the panel's
menu bar, language switch and working "Log out" form. That layout needs what Flask-Admin gives
its own views (``admin_view``, ``theme``, ``h``...): Flask-Security renders through
``render_account_page``, which hands the page to Flask-Admin's ``render`` on a view of its own.
That view is in no menu, so no menu entry shows as the current page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app
from flask_admin import Admin, BaseView, expose
from flask_babel import lazy_gettext as _l

from ..platform.two_factor import page_context

EXTENSION_KEY = "walkin.account_page"


class AccountPageView(BaseView):
    """Stands for Flask-Security's pages in the layout; never added to the admin (no URL)."""

    @expose("/")
    def index(self) -> None:
        """Flask-Admin wants a default view; this one is never routed."""
        abort(404)

    def is_visible(self) -> bool:
        return False


def init_account_pages(app: Flask, admin: Admin) -> None:
    view = AccountPageView(name=_l("Account"), endpoint="account")
    view.admin = admin
    app.extensions[EXTENSION_KEY] = view


def render_account_page(template: str, **context: Any) -> str:
    """Flask-Security's ``render_template``: its page, in the panel's layout, with what our
    versions of its two-factor pages show beyond its own variables."""
    context.update(page_context(template, context))
    return current_app.extensions[EXTENSION_KEY].render(template, **context)
