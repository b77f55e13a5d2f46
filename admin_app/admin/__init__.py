"""The Flask-Admin panel, built per app so that tests can build many apps."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from .base import SecureIndexView


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="Walk-in",
        theme=Bootstrap4Theme(swatch="flatly"),
        index_view=SecureIndexView(url="/admin"),
    )
    return admin
