"""Flask-Security set-up: the user datastore over the app's models."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_security import LoginForm as BaseLoginForm
from flask_security import SQLAlchemyUserDatastore, TwoFactorRescueForm
from wtforms import RadioField

from .admin.account_pages import render_account_page
from .extensions import db, security
from .models import Role, RoleName, User
from .two_factor import init_two_factor

ROLE_DESCRIPTIONS = {
    RoleName.ADMIN: "Sees every partner's rows and manages accounts",
    RoleName.PARTNER: "Shop staff: registers walk-in clients and works its own missions",
    RoleName.SUPPORT: "Searches clients and missions of every partner, read-only",
}


class LoginForm(BaseLoginForm):
    """Never "remember me": a long-lived cookie would outlive the server-side session."""

    def validate(self, **kwargs: Any) -> bool:
        self.remember.data = False
        return super().validate(**kwargs)


class RescueForm(TwoFactorRescueForm):
    """Only the ways out that work: Flask-Security adds "use a recovery code" when the user has
    some; its "Contact Administrator" sends an email, and the panel sends none."""

    help_setup = RadioField(choices=[])


def init_security(app: Flask) -> None:
    """Flask-Security, its pages rendered in the panel's layout (``render_account_page``)."""
    security.init_app(
        app,
        SQLAlchemyUserDatastore(db, User, Role),
        login_form=LoginForm,
        two_factor_rescue_form=RescueForm,
        render_template=render_account_page,
    )
    init_two_factor(app)


def ensure_roles() -> list[str]:
    """Create the roles that do not exist yet; return the names created."""
    datastore = security.datastore
    created = []
    for name, description in ROLE_DESCRIPTIONS.items():
        if datastore.find_role(name) is None:
            datastore.create_role(name=name.value, description=description)
            created.append(name.value)
    db.session.commit()
    return created
