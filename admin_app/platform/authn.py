"""Authentication attempts: every POST to a Flask-Security page that checks a secret.

Before the view, the account the attempt names is found the way Flask-Security finds it, and
an account or address over its limit is answered 429 before any secret is checked. During the
view, the panel's forms and its TOTP check call ``throttling.refuse()`` when the secret is
wrong. After it, a refused secret counts against the throttle and every outcome is recorded
in the audit log with the account's email; the fifth wrong code of a pending login drops the
second-factor step, so the password is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, flash, g, make_response, redirect, request, session
from flask_babel import gettext
from flask_security import current_user
from flask_security.tf_plugin import tf_clean_session
from flask_security.utils import url_for_security
from werkzeug.wrappers import Response

from ..data.models import User
from ..extensions import security
from .audit import MAX_DETAIL_TEXT, record
from .error_pages import error_page
from .throttling import (
    Secret,
    ThrottleUnavailable,
    count_failure,
    is_throttled,
    was_refused,
)

#: Flask-Security's endpoints that check a secret, and which kind.
GUARDED = {
    "security.login": Secret.PASSWORD,
    "security.verify": Secret.PASSWORD,
    "security.change_password": Secret.PASSWORD,
    "security.two_factor_token_validation": Secret.CODE,
    "security.mf_recovery": Secret.CODE,
    "security.two_factor_rescue": Secret.CODE,
}
#: Wrong codes one password step allows before it is dropped.
CODE_TRIES_PER_LOGIN = 5
CODE_FAILURES = "tf_code_failures"


@dataclass(frozen=True)
class Attempt:
    """One authentication step: what it checks, whose account it names (its id and email, or
    the address typed when no account has it: ``identity``), and whether the user was logged
    in already (re-entering a password, setting up an authenticator)."""

    secret: Secret
    account_id: int | None
    account_email: str | None
    identity: str | None
    was_authenticated: bool

    @property
    def refused(self) -> bool:
        return was_refused()

    @property
    def throttle_key(self) -> str | None:
        """The account by its id when one is found, so that any spelling Flask-Security
        resolves to it counts against it."""
        if self.account_id is not None:
            return f"user:{self.account_id}"
        return f"email:{self.identity}" if self.identity else None

    @property
    def target(self) -> str | None:
        return f"user:{self.account_id}" if self.account_id is not None else None

    @property
    def email(self) -> str | None:
        """Recorded in the audit log: the account's, else the address typed (only ever a
        valid address, never whatever was typed, which may be a password)."""
        email = self.account_email or self.identity
        return email[:MAX_DETAIL_TEXT] if email else None

    @property
    def step(self) -> str:
        return request.endpoint.split(".")[-1] if request.endpoint else ""


def login_identity(typed: str) -> tuple[User | None, str | None]:
    """The account Flask-Security's login form finds for ``typed`` (its own normalisation of
    the address, case ignored), and the normalised address; (None, None) when ``typed`` is
    not an address at all."""
    text = " ".join(typed.split())
    try:
        address = security.mail_util.normalize(text)
    except ValueError:
        return None, None
    return security.datastore.find_user(case_insensitive=True, email=address), address


def _named_account() -> tuple[User | None, str | None]:
    if request.endpoint == "security.login":
        return login_identity(request.form.get("email", ""))
    if current_user.is_authenticated:
        return current_user._get_current_object(), None
    pending = session.get("tf_user_id")
    return (security.datastore.find_user(fs_uniquifier=pending) if pending else None), None


def start_attempt() -> None:
    secret = GUARDED.get(request.endpoint or "")
    if secret is None or request.method != "POST":
        return
    account, identity = _named_account()
    attempt = Attempt(
        secret,
        account.id if account is not None else None,
        account.email if account is not None else None,
        identity,
        was_authenticated=current_user.is_authenticated,
    )
    g.authn_attempt = attempt
    if is_throttled(secret, attempt.throttle_key):
        abort(429)


def end_attempt(response: Response) -> Response:
    attempt: Attempt | None = g.pop("authn_attempt", None)
    if attempt is None or response.status_code == 429 or response.status_code >= 500:
        return response
    if attempt.refused:
        try:
            count_failure(attempt.secret, attempt.throttle_key)
        except ThrottleUnavailable as problem:
            return make_response(error_page(503, problem.description))
    outcome = _outcome(attempt)
    if outcome is not None:
        details = {"email": attempt.email, "step": attempt.step}
        if attempt.refused:
            details["status"] = response.status_code
        record(outcome, target=attempt.target, details=details)
    if outcome == "login.second_factor_asked":
        session.pop(CODE_FAILURES, None)
    if attempt.refused and attempt.secret is Secret.CODE and not attempt.was_authenticated:
        return _count_wrong_code(attempt, response)
    return response


def _outcome(attempt: Attempt) -> str | None:
    """The audit log's action for the attempt (stable codes the audit page translates)."""
    if current_user.is_authenticated and not attempt.was_authenticated:
        return "login.success"
    if attempt.refused and not attempt.was_authenticated:
        return "login.failure"
    if attempt.refused:
        # A logged-in user re-entering a password (/verify, /change) or a new authenticator's
        # code (/tf-validate while setting it up).
        if attempt.secret is Secret.PASSWORD:
            return "password.failure"
        return "two_factor.setup_failure"
    if attempt.step == "login" and session.get("tf_user_id"):
        return "login.second_factor_asked"
    return None


def _count_wrong_code(attempt: Attempt, response: Response) -> Response:
    """Count the wrong codes of a pending login; the last one allowed drops the step."""
    failures = session.get(CODE_FAILURES, 0) + 1
    if failures < CODE_TRIES_PER_LOGIN:
        session[CODE_FAILURES] = failures
        return response
    tf_clean_session()
    session.pop(CODE_FAILURES, None)
    details = {"email": attempt.email, "failures": failures}
    record("login.second_factor_dropped", target=attempt.target, details=details)
    flash(gettext("Too many wrong codes: enter your password again."), "error")
    return redirect(url_for_security("login"))


def init_authn(app: Flask) -> None:
    app.before_request(start_attempt)
    app.after_request(end_attempt)
