"""The page a message's link opens: the client stops the shop's emails without logging in.

The link carries a signed token (``domain/consent.py``). Opening it asks, in the client's
language, whether to stop; the button (a POST, with CSRF like every form) withdraws and says it
is done. A mail scanner that fetches the link therefore withdraws nothing. The page shows the
shop's name and nothing else about the client, and its address is never sent on as a referrer.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_babel import force_locale
from werkzeug.wrappers import Response

from ..data.models import Client
from ..domain.consent import (
    WithdrawalLinkExpired,
    WithdrawalLinkInvalid,
    check_withdrawal_link,
    consent_in_force,
    withdraw_by_link,
)
from ..domain.delivery import shop_name

withdrawal = Blueprint("consent", __name__)


@withdrawal.get("/stop-emails/<token>")
def withdraw_page(token: str) -> Response | tuple[str, int]:
    try:
        client = check_withdrawal_link(token)
    except WithdrawalLinkInvalid:
        return _page("invalid", None, 404)
    except WithdrawalLinkExpired as expired:
        return _page("expired", None, 410, language=expired.language)
    state = "ask" if consent_in_force(client.id) is not None else "done"
    return _page(state, client, 200, token=token)


@withdrawal.post("/stop-emails/<token>")
def withdraw(token: str) -> Response | tuple[str, int]:
    try:
        client = withdraw_by_link(token)
    except WithdrawalLinkInvalid:
        return _page("invalid", None, 404)
    except WithdrawalLinkExpired as expired:
        return _page("expired", None, 410, language=expired.language)
    return _page("done", client, 200)


def _page(
    state: str, client: Client | None, status: int, *, language: str | None = None, token: str = ""
) -> tuple[str, int]:
    """The page in the client's language (the browser's when the link names no client)."""
    shop = shop_name(client.partner) if client else None
    language = client.language if client else language
    if language is None:
        return render_template("consent/withdraw.html", state=state, token=token), status
    with force_locale(language):
        html = render_template("consent/withdraw.html", state=state, shop=shop, token=token)
    return html, status


@withdrawal.after_request
def after_withdrawal_page(response: Response) -> Response:
    """The token is in the address: no referrer leaves the page, and search engines skip it."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def register_withdrawal(app: Flask) -> None:
    app.register_blueprint(withdrawal)
