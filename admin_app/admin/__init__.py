"""The Flask-Admin panel, built per app so that tests can build many apps."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..data.invoicing import Invoice
from ..data.messaging import Notification, OutboxMessage
from ..data.models import AuditEvent, Client, Mission, ServiceType, User
from ..platform.http_security import csp_nonce
from ..platform.i18n import prefer_our_flask_admin_wording
from ..platform.uploads import accept_uploads
from .account_pages import init_account_pages
from .accounts import AccountView
from .api_keys import ApiKeysView, init_api_key_pages
from .audit import AuditView
from .board import BoardView
from .clients import ClientView
from .contact_details import shown_email, shown_phone
from .dashboard import DashboardView
from .failed_messages import FailedMessagesView
from .formatting import local_datetime, service_name, status_badge
from .invoice_pdf import InvoicePdfView
from .invoices import InvoiceView
from .menu_cache import menu_html
from .missions import MissionView
from .notifications import NotificationView, bell_badge, bell_count
from .reports import ReportsView
from .search_box import SearchBoxView
from .services import ServiceTypeView
from .shop_profile import ShopProfileView
from .staff import StaffView
from .static_urls import admin_static_url


def init_admin(app: Flask) -> Admin:
    prefer_our_flask_admin_wording()
    clients = ClientView(Client, name=_l("Clients"), endpoint="clients")
    missions = MissionView(Mission, name=_l("Missions"), endpoint="missions")
    admin = Admin(
        app,
        name="Walk-in",
        theme=Bootstrap4Theme(swatch="cerulean", fluid=True),
        index_view=DashboardView(clients, missions, name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(BoardView(missions, name=_l("Today's board"), endpoint="board"))
    admin.add_view(SearchBoxView(name=_l("Search"), endpoint="search"))
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports"))
    admin.add_view(clients)
    admin.add_view(missions)
    admin.add_view(InvoiceView(Invoice, name=_l("Invoices"), endpoint="invoices"))
    admin.add_view(
        InvoicePdfView(name=_l("Invoice PDF"), endpoint="invoice_pdf", url="invoices/pdf")
    )
    admin.add_view(
        ShopProfileView(name=_l("Shop profile"), endpoint="shop_profile", url="shop-profile")
    )
    admin.add_view(ServiceTypeView(ServiceType, name=_l("Services"), endpoint="services"))
    admin.add_view(StaffView(User, name=_l("Staff"), endpoint="staff"))
    admin.add_view(ApiKeysView(name=_l("API keys"), endpoint="api_keys", url="api-keys"))
    admin.add_view(AccountView(User, name=_l("Accounts"), endpoint="accounts"))
    admin.add_view(AuditView(AuditEvent, name=_l("Audit log"), endpoint="audit"))
    admin.add_view(
        NotificationView(Notification, name=_l("Notifications"), endpoint="notifications")
    )
    admin.add_view(
        FailedMessagesView(
            OutboxMessage,
            name=_l("Failed messages"),
            endpoint="failed_messages",
            url="failed-messages",
        )
    )
    init_account_pages(app, admin)
    init_api_key_pages(app)
    accept_uploads(app, f"{missions.endpoint}.attachment_upload_view", "shop_profile.index")
    app.jinja_env.globals.update(
        status_badge=status_badge,
        local_datetime=local_datetime,
        service_name=service_name,
        get_locale=get_locale,
        shown_email=shown_email,
        shown_phone=shown_phone,
        bell_count=bell_count,
        bell_badge=bell_badge,
        admin_static_url=admin_static_url,
        menu_html=menu_html,
    )
    return admin
