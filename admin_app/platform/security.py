"""Flask-Security set-up: the user datastore over the app's models, and the panel's versions of
its forms (its TOTP check and address normalisation are in ``security_utils.py``).

A form that finds a wrong secret reports it to ``throttling.refuse``; ``authn`` counts and
records it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, abort, request
from flask_security import ChangePasswordForm as BaseChangePasswordForm
from flask_security import LoginForm as BaseLoginForm
from flask_security import MfRecoveryForm as BaseMfRecoveryForm
from flask_security import SQLAlchemyUserDatastore
from flask_security import TwoFactorRescueForm as BaseTwoFactorRescueForm
from flask_security import VerifyForm as BaseVerifyForm

from ..data.models import Role, RoleName, User
from ..extensions import db, security
from .session_user import init_session_user
from .throttling import refuse
from .two_factor import init_two_factor

ROLE_DESCRIPTIONS = {
    RoleName.ADMIN: "Sees every partner's rows and manages accounts",
    RoleName.PARTNER: "A shop: registers walk-in clients, works its missions, manages its staff",
    RoleName.SUPPORT: "Searches clients and missions of every partner, read-only",
    RoleName.STAFF: "Works on its shop's clients and missions; manages no account",
}


def _checked(valid: bool) -> bool:
    if not valid:
        refuse()
    return valid


class LoginForm(BaseLoginForm):
    """Never "remember me": a long-lived cookie would outlive the server-side session."""

    def validate(self, **kwargs: Any) -> bool:
        self.remember.data = False
        return _checked(super().validate(**kwargs))


class VerifyForm(BaseVerifyForm):
    def validate(self, **kwargs: Any) -> bool:
        return _checked(super().validate(**kwargs))


class ChangePasswordForm(BaseChangePasswordForm):
    """Only a wrong current password is a failure; a weak new one is not."""

    def validate(self, **kwargs: Any) -> bool:
        valid = super().validate(**kwargs)
        _checked(valid or not self.password.errors)
        return valid


class MfRecoveryForm(BaseMfRecoveryForm):
    def validate(self, **kwargs: Any) -> bool:
        return _checked(super().validate(**kwargs))


class TwoFactorRescueForm(BaseTwoFactorRescueForm):
    """No "contact the administrator" choice: it sends a mail, and the panel sends none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_setup.choices = [c for c in self.help_setup.choices or () if c[0] != "help"]


def refuse_json_bodies() -> None:
    """The panel's sign-in pages post forms. Flask-Security would also read a JSON body (and
    answer 500 to one that is not an object): refused whole."""
    if request.blueprint == "security" and request.is_json:
        abort(415)


def init_security(app: Flask, render_page: Callable[..., Any]) -> None:
    """Flask-Security, its pages rendered by ``render_page`` (the panel's layout: the app
    factory passes ``admin.account_pages.render_account_page``)."""
    security.init_app(
        app,
        SQLAlchemyUserDatastore(db, User, Role),
        login_form=LoginForm,
        verify_form=VerifyForm,
        change_password_form=ChangePasswordForm,
        mf_recovery_form=MfRecoveryForm,
        two_factor_rescue_form=TwoFactorRescueForm,
        render_template=render_page,
    )
    init_two_factor(app)
    init_session_user(app)
    app.before_request(refuse_json_bodies)


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
