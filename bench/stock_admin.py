"""Stock Flask-Admin over the panel's own tables: Flask-Admin's ``ModelView`` as it comes (20
rows a page, its templates; its one option set, ``simple_list_pager``, skips the count of every
row, which would measure the database instead), on a Flask app with nothing else but
Flask-Babel (Flask-Admin translates through it whenever it is installed): no login, no session
store, no security headers, none of the panel's views, templates or formatters.

The floor Flask-Admin itself sets under a page, which ``stock_floor.py`` serves and measures
against the bare page (``DATABASE_URL``: a benchmark database, as ``run.py --reuse`` keeps).
Beside it, ``/plain/missions/``: the newest 20 missions and their clients as a plain Flask view
and Jinja template render them, without Flask-Admin: what a list costs outside it.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel
from jinja2 import Template
from sqlalchemy import select

from admin_app.config import database_url
from admin_app.data.models import Client, Mission
from admin_app.extensions import db


def create_stock_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(url, app.instance_path)
    app.config["SECRET_KEY"] = secrets.token_urlsafe(32)  # Flask-Admin's flashed messages
    db.init_app(app)
    Babel(app)
    admin = Admin(app, name="Stock Flask-Admin")
    admin.add_view(StockView(Mission, db, endpoint="missions"))
    admin.add_view(StockView(Client, db, endpoint="clients"))
    page = app.jinja_env.from_string(PLAIN_LIST)
    app.add_url_rule("/plain/missions/", view_func=lambda: plain_missions(page))
    return app


PLAIN_LIST = """<!doctype html><title>Missions</title>
<table><tr><th>Client</th><th>Email</th><th>Status</th><th>Created</th><th>Updated</th></tr>
{% for row in rows %}<tr><td><a href="/plain/missions/{{ row.id }}">{{ row.first_name }}
{{ row.last_name }}</a></td><td>{{ row.email }}</td><td>{{ row.status.value }}</td>
<td>{{ row.created_at.strftime("%Y-%m-%d %H:%M") }}</td>
<td>{{ row.updated_at.strftime("%Y-%m-%d %H:%M") }}</td></tr>
{% endfor %}</table>"""


def plain_missions(page: Template) -> Any:
    """The newest missions, read as plain rows through the missions' newest-first index."""
    rows = db.session.execute(
        select(
            Mission.id,
            Mission.status,
            Mission.created_at,
            Mission.updated_at,
            Client.first_name,
            Client.last_name,
            Client.email,
        )  # fmt: skip
        .join(Client, Client.id == Mission.client_id)
        .order_by(Mission.created_at.desc(), Mission.id.desc())
        .limit(20)
    ).all()
    return page.render(rows=rows)


class StockView(ModelView):
    simple_list_pager = True


def stock_app_from_environment() -> Flask:
    """The app gunicorn serves (``bench.stock_admin:stock_app_from_environment()``): its
    database must be named, or it would read an empty one."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL must name a benchmark database (see stock_floor.py)")
    return create_stock_app(url)
