"""The self check-in page of a shop's tablet (``/kiosk/``): a face of the API, not of the panel.

Staff enter the shop's check-in key once; the page's script (``static/kiosk.js``) keeps it in
the tablet's localStorage and registers each visitor with ``POST /api/v1/clients``, as any
program holding that key would. The page itself is the same for everyone and holds nothing of
the shop: no login, no session, no cookie (``platform/sessions.py``), and nothing it could list.

Its words are rendered here in the language chosen by ``?lang=`` (the page's EN / FR switch),
else the browser's; the script only shows or hides them, and turns the API's field codes into
the words carried by the page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import force_locale, get_locale
from werkzeug.wrappers import Response

from ..admin.messages import PROBLEM_WORDS
from ..domain.validation import MAX_LENGTHS, REQUIRED_FIELDS

kiosk = Blueprint("kiosk", __name__)

#: What the domain can say about the fields the page asks for (``domain/validation.py``).
FIELD_CODES = (
    "required",
    "too_long",
    "not_text",
    "control_characters",
    "name_characters",
    "needs_letter",
    "invalid_email",
    "invalid_phone",
)


@kiosk.get("/kiosk/")
def kiosk_page() -> str:
    chosen = request.args.get("lang")
    if chosen not in current_app.config["LANGUAGES"]:
        return _render()
    with force_locale(chosen):
        return _render()


def _render() -> str:
    return render_template(
        "kiosk/page.html",
        language=str(get_locale() or "en"),
        fields=REQUIRED_FIELDS,
        max_lengths=MAX_LENGTHS,
        problem_words={code: str(PROBLEM_WORDS[code]) for code in FIELD_CODES},
        reset_seconds=current_app.config["KIOSK_RESET_SECONDS"],
    )


@kiosk.after_request
def after_kiosk_page(response: Response) -> Response:
    """A tablet's page: search engines skip it, and no address leaves it as a referrer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
