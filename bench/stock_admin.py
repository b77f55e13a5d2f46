"""Stock Flask-Admin over the panel's own tables: Flask-Admin's ``ModelView`` as it comes (20
rows a page, its templates; its one option set, ``simple_list_pager``, skips the count of every
row, which would measure the database instead), on a Flask app with nothing else but
Flask-Babel (Flask-Admin translates through it whenever it is installed): no login, no session
store, no security headers, none of the panel's views, templates or formatters.

The floor Flask-Admin itself sets under a page, which ``stock_floor.py`` serves and measures
against the bare page (``DATABASE_URL``: a benchmark database, as ``run.py --reuse`` keeps).
"""

from __future__ import annotations

import os
import secrets

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

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
    return app


class StockView(ModelView):
    simple_list_pager = True


app = create_stock_app(os.environ.get("DATABASE_URL", ""))
