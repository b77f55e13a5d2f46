"""The panel's versions of Flask-Security's extendable classes, given to ``Security(...)`` in
``extensions.py`` (so they import nothing of the app's that imports the extensions)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_security import MailUtil as BaseMailUtil
from flask_security import Totp
from passlib.totp import TotpMatch, UsedTokenError
from sqlalchemy import or_, update

from .throttling import refuse


class OneTimeTotp(Totp):
    """Each time step's code logs an account in once: the last step accepted is kept on the
    account (``tf_totp_last_step``) and claimed by one conditional update, so two requests
    with the same code cannot both pass. A wrong code is reported to the throttle."""

    def verify_totp(self, token: str, totp_secret: str, user: Any, window: int = 0) -> bool:
        if super().verify_totp(token, totp_secret, user, window):
            return True
        refuse()
        return False

    def get_last_counter(self, user: Any) -> int | None:
        return user.tf_totp_last_step

    def set_last_counter(self, user: Any, tmatch: TotpMatch) -> None:
        """Committed at once on a connection of its own, before the view writes anything
        (SQLite lets one writer at a time)."""
        account = user.__class__  # the model (also through a LocalProxy: current_user)
        claim = (
            update(account)
            .where(
                account.id == user.id,
                or_(
                    account.tf_totp_last_step.is_(None),
                    account.tf_totp_last_step < tmatch.counter,
                ),
            )
            .values(tf_totp_last_step=tmatch.counter)
        )
        with current_app.extensions["sqlalchemy"].engine.begin() as connection:
            if connection.execute(claim).rowcount != 1:
                raise UsedTokenError()


class MailUtil(BaseMailUtil):
    """Account addresses in one form everywhere (login, ``flask users``, the accounts page):
    the validator's, lower-cased, as the unique index on ``lower(email)`` compares them."""

    def normalize(self, email: str) -> str:
        return super().normalize(email).lower()

    def validate(self, email: str) -> str:
        return super().validate(email).lower()
