"""The domain's error codes in the panel's words: the one place the panel turns a code and
its values into a translated message (``errors.py`` holds the codes and the English)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..domain.errors import (
    ClientHasInvoices,
    DomainError,
    FieldProblem,
    InvoiceRefused,
    MergeRefused,
    MessagesNotFailed,
    TransitionRefused,
)
from ..domain.transitions import transition

#: ``errors.FIELD_PROBLEMS`` by code; ``%(name)s`` takes the problem's value of that name.
PROBLEM_WORDS = {
    "required": _l("This field is required."),
    "too_long": _l("At most %(max)d characters."),
    "not_text": _l("This must be text."),
    "control_characters": _l("This must not contain control characters."),
    "name_characters": _l("Use only letters, spaces, hyphens, apostrophes and dots."),
    "needs_letter": _l("This must contain a letter."),
    "postal_code_characters": _l("Use only letters, digits, spaces and hyphens."),
    "invalid_email": _l("This is not a valid email address."),
    "invalid_phone": _l("This is not a valid phone number."),
    "not_active_partner": _l("Choose an active partner account."),
    "email_taken": _l("Another account already uses this email."),
    "partner_and_support": _l("An account cannot be both partner and support."),
    "staff_alone": _l("A staff account cannot have another role."),
    "shop_has_staff": _l(
        "This shop has staff accounts: it stays a partner. Deactivate it to close the shop."
    ),
    "staff_needs_shop": _l("Choose the shop (a partner account) of this staff account."),
    "unknown_roles": _l("Unknown roles: %(roles)s."),
    "last_admin": _l("The last active admin must stay an active admin."),
    "unknown_service_type": _l("Choose one of the service types on offer."),
    "invalid_currency": _l("A three-letter currency code, such as EUR or CHF."),
    "price_range": _l("Between 0 and %(max)s."),
    "duration_range": _l("Between 1 and %(max)d minutes."),
    "not_a_choice": _l("Choose one of the listed values."),
    "shop_name_for_partners": _l(
        "Only a partner account (a shop) has a shop name: leave this field empty."
    ),
    "file_empty": _l("This file is empty: choose another one."),
    "file_too_large": _l("This file is larger than %(megabytes)s MB: choose a smaller one."),
    "file_type_refused": _l(
        "Only JPEG, PNG and WebP images and PDF documents are accepted, and this file's content"
        " is none of them (whatever its name says)."
    ),
    "image_too_large": _l(
        "This image has more than %(megapixels)d million pixels: send a smaller version."
    ),
    "image_damaged": _l("This image is damaged or cut short: it cannot be read whole."),
    "pdf_damaged": _l("This is not a complete PDF document: it cannot be read."),
    "pdf_encrypted": _l("This PDF is encrypted, so it cannot be checked: send it unencrypted."),
    "pdf_active_content": _l(
        "This PDF contains active content (%(features)s), which is refused: send a plain PDF"
        " (print it to PDF, for example)."
    ),
    "invalid_date": _l("Enter a date as YYYY-MM-DD."),
    "date_order": _l("The last day cannot be before the first day."),
    "date_out_of_range": _l("Choose a day from %(first)s to %(last)s."),
    "period_too_long": _l("A report covers at most %(max)d days: choose a shorter period."),
    "too_many_lines": _l("At most %(max)d lines."),
    "logo_type_refused": _l(
        "Only PNG and JPEG images are accepted, and this file's content is neither of them"
        " (whatever its name says)."
    ),
    "image_side_range": _l(
        "Each side of the image must be between %(min)d and %(max)d pixels: send another size."
    ),
    # The API's request shapes (``api/schemas.py``).
    "not_a_number": _l("This must be a whole number."),
    "not_a_boolean": _l("This must be true or false."),
    "unknown_field": _l("This is not a field of this request."),
    "not_an_object": _l("The request's body must be a JSON object."),
    "number_range": _l("Between %(min)d and %(max)d."),
    "invalid_datetime": _l("Enter a date and time as YYYY-MM-DDTHH:MM:SS, with its time zone."),
    "invalid_cursor": _l("This is not a cursor of this list: send next_cursor as it came."),
    # Flask-Security's own reasons, already in the user's language.
    "password_refused": _l("This password cannot be used: %(reasons)s"),
}

#: Why an action on a row was not done ("Not done: …"), by ``DomainError.code``; a refused
#: transition says why from the mission's status (``transitions.py``).
REFUSAL_WORDS = {
    "mission_changed": _l("someone else changed it"),
    "not_found": _l("it no longer exists"),
    "not_allowed": _l("not allowed"),
}

#: Why two clients cannot be merged, by ``MergeRefused.reason``.
MERGE_WORDS = {
    "same_client": _l("A client cannot be merged into itself."),
    "different_partners": _l(
        "These clients belong to different partners: only clients of the same partner can be"
        " merged."
    ),
    "invoiced_client": _l(
        "This client has invoices, so it cannot be merged away: merge the other client into it"
        " instead."
    ),
}


def merge_refusal(refusal: MergeRefused) -> str:
    """Why two clients were not merged, in the user's language."""
    return str(MERGE_WORDS[refusal.reason])


def problem_text(problem: FieldProblem) -> str:
    """What is wrong with a field, in the user's language."""
    return str(PROBLEM_WORDS[problem.code]) % dict(problem.params)


def refusal_reason(error: DomainError) -> str:
    """Why an action on one row was refused, in the user's language."""
    if isinstance(error, TransitionRefused):
        return str(transition(error.action).refused_because[error.status])
    return str(REFUSAL_WORDS[error.code])


def retry_refusal(refusal: MessagesNotFailed, short: int = 8) -> str:
    """Why no message was retried: the ones not failed any more, by the start of their id."""
    return ngettext(
        "Nothing retried: message %(ids)s is not failed any more (retried or sent meanwhile).",
        "Nothing retried: messages %(ids)s are not failed any more (retried or sent meanwhile).",
        len(refusal.refused),
        ids=", ".join(message_id[:short] for message_id in refusal.refused),
    )


#: Why an invoice or credit note was not issued, by ``InvoiceRefused.reason``.
INVOICE_WORDS = {
    "no_missions": _l("Choose at least one completed mission to invoice."),
    "not_completed": _l("Only completed missions can be invoiced."),
    "other_client": _l("An invoice bills the missions of one client only."),
    "already_invoiced": _l(
        "A mission is already on invoice %(reference)s: cancel that invoice by a credit note"
        " first to invoice it again."
    ),
    "no_price": _l("A mission without a price cannot be invoiced."),
    "mixed_currencies": _l(
        "These missions are priced in different currencies: invoice them separately."
    ),
    "no_shop_profile": _l(
        "The shop has no profile yet: fill in the shop profile (the legal name and address"
        " that invoices print) first."
    ),
    "not_an_invoice": _l("%(reference)s is a credit note: only an invoice can be cancelled."),
    "already_credited": _l("Invoice %(reference)s is already cancelled by credit note %(credit)s."),
}


def invoice_refusal(refusal: InvoiceRefused) -> str:
    """Why no invoice or credit note was issued, in the user's language."""
    return str(INVOICE_WORDS[refusal.reason]) % dict(refusal.params)


def invoiced_client_refusal(refusal: ClientHasInvoices) -> str:
    """Why a client that invoices name was not deleted, in the user's language."""
    return ngettext(
        "This client cannot be deleted: %(num)d invoice names them, and invoices are kept as"
        " the law requires. An admin can erase the client instead: the invoices stay, the"
        " rest goes.",
        "This client cannot be deleted: %(num)d invoices name them, and invoices are kept as"
        " the law requires. An admin can erase the client instead: the invoices stay, the"
        " rest goes.",
        refusal.params["count"],
    )
