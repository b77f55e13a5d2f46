"""Two-factor authentication the panel's way, on top of Flask-Security's views.

- Set-up: the authenticator app is the only method, so the set-up page shows its QR code and key
  at once instead of a form to pick it. The secret waits in the session until a code confirms
  it (a mistyped code shows the same QR code again); Flask-Security's own set-up validation
  checks the code, from the signed state token its own set-up form would carry.
- Recovery codes: made as soon as set-up succeeds and shown on the next page, until the user
  confirms having kept them; the panel waits for that confirmation. They are never shown again
  (new ones can be made, which replaces them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import user_logged_in, user_logged_out
from flask_security import auth_required, current_user, url_for_security
from flask_security.signals import tf_profile_changed
from werkzeug.wrappers import Response

from ..extensions import security

PENDING_SETUP = "walkin_tf_pending"
CODES_UNCONFIRMED = "walkin_recovery_codes_unconfirmed"

two_factor = Blueprint("two_factor", __name__)


def must_confirm_recovery_codes() -> bool:
    """New recovery codes were shown and the user has not yet said they kept them."""
    return bool(session.get(CODES_UNCONFIRMED))


def _make_recovery_codes(_app: Flask, user: Any, **_: Any) -> None:
    """Two-factor set-up succeeded: the old secret waiting in the session is done with, and the
    user gets fresh recovery codes (the new authenticator makes any older ones suspect)."""
    session.pop(PENDING_SETUP, None)
    security.mf_recovery_codes_util.create_recovery_codes(user)
    session[CODES_UNCONFIRMED] = True


@dataclass(frozen=True)
class AuthenticatorSetup:
    qrcode: str
    key: str
    action: str


def authenticator_setup(context: dict[str, Any]) -> dict[str, Any]:
    """The QR code, key and form target of the set-up page's first view, when the
    authenticator app is the only method (Flask-Security would first ask to pick it)."""
    only_authenticator = current_app.config["SECURITY_TWO_FACTOR_ENABLED_METHODS"] == [
        "authenticator"
    ]
    if (
        context.get("chosen_method")
        or request.method != "GET"
        or not only_authenticator
        or not current_user.is_authenticated
    ):
        return {}
    secret = _pending_secret()
    state = {"totp_secret": secret, "method": "authenticator", "phone": None}
    token = security.tf_setup_serializer.dumps(state)
    values = security.totp_factory.fetch_setup_values(secret, current_user)
    action = url_for_security("two_factor_setup_validate", token=token)
    return {"authenticator": AuthenticatorSetup(values["image"], values["key"], action)}


def _pending_secret() -> str:
    """The secret this user's set-up shows until a code confirms it (encrypted, as
    Flask-Security stores it)."""
    pending = session.get(PENDING_SETUP) or {}
    if pending.get("user") != current_user.fs_uniquifier:
        secret = security.totp_factory.generate_totp_secret()
        pending = session[PENDING_SETUP] = {"user": current_user.fs_uniquifier, "secret": secret}
    return pending["secret"]


def recovery_codes(context: dict[str, Any]) -> dict[str, Any]:
    """What the recovery-codes page shows: the new codes while they wait to be confirmed,
    otherwise how many are left. Flask-Security's page shows the codes it has just made in
    answer to its POST; from then on they wait to be confirmed too."""
    if request.method == "POST" and context.get("recovery_codes"):
        session[CODES_UNCONFIRMED] = True
    codes = security.mf_recovery_codes_util.get_recovery_codes(current_user)
    return {
        "codes_to_keep": codes if must_confirm_recovery_codes() else [],
        "codes_left": len(codes),
        "has_two_factor": bool(current_user.tf_primary_method),
    }


def page_context(template: str, context: dict[str, Any]) -> dict[str, Any]:
    """What our versions of Flask-Security's two-factor pages need beyond its variables."""
    config = current_app.config
    if template == config["SECURITY_TWO_FACTOR_SETUP_TEMPLATE"]:
        return authenticator_setup(context)
    if template == config["SECURITY_MULTI_FACTOR_RECOVERY_CODES_TEMPLATE"]:
        return recovery_codes(context)
    return {}


@two_factor.post("/mf-recovery-codes/kept")
@auth_required()
def recovery_codes_kept() -> Response:
    """The user says they kept their new recovery codes: on to the panel."""
    if request.form.get("kept") != "yes":
        flash(gettext("Tick the box once you have kept your recovery codes."), "error")
        return redirect(url_for_security("mf_recovery_codes"))
    session.pop(CODES_UNCONFIRMED, None)
    return redirect(url_for("admin.index"))


def _forget_set_up(_app: Flask, **_: Any) -> None:
    """A set-up or codes waiting belong to the person who was logged in, not to whoever logs in
    next in the same browser (the session's data outlives its id's rotation)."""
    session.pop(PENDING_SETUP, None)
    session.pop(CODES_UNCONFIRMED, None)


def init_two_factor(app: Flask) -> None:
    app.register_blueprint(two_factor)
    tf_profile_changed.connect_via(app)(_make_recovery_codes)
    user_logged_in.connect_via(app)(_forget_set_up)
    user_logged_out.connect_via(app)(_forget_set_up)
