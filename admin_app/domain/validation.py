"""Validation and normalisation of a walk-in client's fields.

Every field is single-line text: Unicode is put in NFC form, surrounding space is trimmed and
inner runs of white space become one space. Control characters are refused rather than
silently dropped, so what is saved is what the user sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..data.models import CancelReason
from .errors import FieldProblem, ValidationError

REQUIRED_FIELDS = ("first_name", "last_name", "email", "phone")
OPTIONAL_FIELDS = ("address", "city", "postal_code", "country")
CLIENT_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "address": 255,
    "city": 100,
    "postal_code": 16,
    "country": 100,
}

MAX_NOTES_LENGTH = 2000
NAME_PUNCTUATION = frozenset("'’-. ")
POSTAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]*")


class FieldError(ValueError):
    """One field's problem: a code of ``errors.FIELD_PROBLEMS`` and its values."""

    def __init__(self, code: str, **params: object) -> None:
        self.problem = FieldProblem(code, params)
        super().__init__(str(self.problem))


def configured_phone_region() -> str | None:
    """The region local phone numbers are read in (``PHONE_DEFAULT_REGION``)."""
    return current_app.config.get("PHONE_DEFAULT_REGION")


#: The languages a client's messages can be written in.
MESSAGE_LANGUAGES = ("en", "fr")


def normalise_client_fields(
    fields: Mapping[str, object], *, phone_region: str | None
) -> dict[str, str | None]:
    """Return the cleaned values of every client field, or raise ``ValidationError`` naming
    each invalid field. Unknown field names are a programming error (``TypeError``)."""
    unknown = sorted(set(fields) - set(CLIENT_FIELDS))
    if unknown:
        raise TypeError(f"unknown client fields: {', '.join(unknown)}")
    cleaned: dict[str, str | None] = {}
    errors: dict[str, FieldProblem] = {}
    for name in CLIENT_FIELDS:
        try:
            cleaned[name] = clean_field(name, fields.get(name), phone_region=phone_region)
        except FieldError as error:
            errors[name] = error.problem
    if errors:
        raise ValidationError(errors)
    return cleaned


def normalise_client_input(
    fields: Mapping[str, object],
    *,
    language: object,
    default_language: str,
    phone_region: str | None,
) -> dict[str, str | None]:
    """The client's fields and its messages' ``language`` cleaned together (``language`` under
    that key), every invalid one named in one ``ValidationError``."""
    errors: dict[str, FieldProblem] = {}
    try:
        cleaned = normalise_client_fields(fields, phone_region=phone_region)
    except ValidationError as error:
        cleaned, errors = {}, dict(error.errors)
    try:
        cleaned["language"] = clean_language(language, default_language)
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_field(name: str, raw: object, *, phone_region: str | None) -> str | None:
    """Clean one client field: required and length checks, then its own format rule."""
    text = single_line_text(raw)
    if not text:
        if name in REQUIRED_FIELDS:
            raise FieldError("required")
        return None
    if len(text) > MAX_LENGTHS[name]:
        raise FieldError("too_long", max=MAX_LENGTHS[name])
    if name == "phone":
        return canonical_phone(text, phone_region)
    rule = FORMAT_RULES.get(name)
    return rule(text) if rule else text


def single_line_text(raw: object) -> str:
    """Normalise ``raw`` to trimmed NFC text with single spaces; refuse control characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FieldError("not_text")
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise FieldError("control_characters")
    return text


def clean_notes(raw: object, field: str = "notes") -> str | None:
    """Free, multi-line text: line breaks and tabs are kept, other control characters refused;
    ``field`` names the form field that a refusal points at."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationError({field: FieldProblem("not_text")})
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
        raise ValidationError({field: FieldProblem("control_characters")})
    if len(text) > MAX_NOTES_LENGTH:
        raise ValidationError({field: FieldProblem("too_long", {"max": MAX_NOTES_LENGTH})})
    return text or None


def clean_cancel_reason(raw: object) -> CancelReason:
    """One of the cancel reasons' values; refused with a field error on ``reason`` otherwise."""
    if raw is None or raw == "":
        raise ValidationError({"reason": FieldProblem("required")})
    try:
        return CancelReason(raw)
    except ValueError:
        raise ValidationError({"reason": FieldProblem("not_a_choice")}) from None


def clean_language(raw: object, default: str) -> str:
    """A client's language: ``en`` or ``fr``, ``default`` when none is given; refused with a
    field error on ``language`` otherwise."""
    if raw is None or raw == "":
        return default
    if raw not in MESSAGE_LANGUAGES:
        raise ValidationError({"language": FieldProblem("not_a_choice")})
    return str(raw)


def client_language_default(shop_language: str | None, panel_language: object) -> str:
    """The language a new client's messages default to: its shop's (the partner's last choice
    in the panel), else the panel's language of the person registering it, else English."""
    for language in (shop_language, panel_language):
        if language in MESSAGE_LANGUAGES:
            return str(language)
    return MESSAGE_LANGUAGES[0]


def person_name(text: str) -> str:
    """Names in any script: letters and combining marks, with spaces, hyphens, apostrophes."""
    allowed = all(
        unicodedata.category(char)[0] in "LM" or char in NAME_PUNCTUATION for char in text
    )
    if not allowed:
        raise FieldError("name_characters")
    if not any(unicodedata.category(char)[0] == "L" for char in text):
        raise FieldError("needs_letter")
    return text


def email_address(text: str) -> str:
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as problem:
        raise FieldError("invalid_email") from problem
    return checked.normalized.lower()


def canonical_phone(text: str, region: str | None) -> str:
    """The number in E.164 form (``+33612345678``); local numbers are read in ``region``."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as problem:
        raise FieldError("invalid_phone") from problem
    if not phonenumbers.is_valid_number(number):
        raise FieldError("invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def postal_code(text: str) -> str:
    code = text.upper()
    if not POSTAL_CODE.fullmatch(code):
        raise FieldError("postal_code_characters")
    return code


FORMAT_RULES: dict[str, Callable[[str], str]] = {
    "first_name": person_name,
    "last_name": person_name,
    "email": email_address,
    "postal_code": postal_code,
}
