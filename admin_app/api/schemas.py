"""The API's JSON shapes (marshmallow, read by flask-smorest for the OpenAPI document).

Request schemas check shapes only (text is text, numbers are numbers, no unknown field); the
domain checks the content (``domain/validation.py``), so a rule is written once. Each field's
error messages are codes of ``errors.FIELD_PROBLEMS``, which ``problems.py`` returns as such.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from ..data.models import CancelReason, MissionStatus

#: Field errors as our codes (``problems.py`` turns them into problem+json entries).
TEXT_ERRORS = {"required": "required", "null": "required", "invalid": "not_text"}
NUMBER_ERRORS = {"required": "required", "null": "required", "invalid": "not_a_number"}
FLAG_ERRORS = {"required": "required", "null": "required", "invalid": "not_a_boolean"}


def text(*, required: bool = False, **metadata: Any) -> fields.String:
    return fields.String(
        required=required, allow_none=not required, error_messages=TEXT_ERRORS, metadata=metadata
    )


#: Integer ids fit PostgreSQL's ``integer``: a larger number names no row (and would fail there).
MAX_ROW_NUMBER = 2**31 - 1


def row_number(*, allow_none: bool = False, **metadata: Any) -> fields.Integer:
    """An integer id: a whole number within the id columns' range, else ``not_a_choice``."""
    in_range = validate.Range(min=1, max=MAX_ROW_NUMBER, error="not_a_choice")
    return fields.Integer(
        allow_none=allow_none, validate=in_range, error_messages=NUMBER_ERRORS, metadata=metadata
    )


class StrictSchema(Schema):
    """A request body: an unknown field is refused by name, not silently dropped."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "unknown_field", "type": "not_an_object"}


class RegistrationIn(StrictSchema):
    first_name = text(required=True)
    last_name = text(required=True)
    email = text(required=True)
    phone = text(required=True, description="In international form, or local to the shop's region")
    address = text()
    city = text()
    postal_code = text()
    country = text()
    language = text(description="The language of the client's messages: en or fr")
    email_consent = fields.Boolean(load_default=False, error_messages=FLAG_ERRORS)
    service_type_id = row_number(allow_none=True, description="An active type")
    partner_id = row_number(
        allow_none=True, description="Required with an admin's key: the shop the client visits"
    )


class NewMissionIn(StrictSchema):
    service_type_id = row_number(allow_none=True)


class CancelIn(StrictSchema):
    reason = fields.String(
        required=True,
        error_messages=TEXT_ERRORS,
        metadata={"enum": [reason.value for reason in CancelReason]},
    )
    note = text()


class ClientOut(Schema):
    id = fields.String()
    partner_id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    phone = fields.String()
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    language = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class MissionOut(Schema):
    id = fields.String()
    client_id = fields.String()
    partner_id = fields.Integer()
    status = fields.String(validate=validate.OneOf([status.value for status in MissionStatus]))
    service_type_id = fields.Integer(allow_none=True)
    price_amount = fields.Decimal(as_string=True, allow_none=True)
    price_currency = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    cancel_note = fields.String(allow_none=True)
    version = fields.Integer()


class RegistrationOut(Schema):
    client = fields.Nested(ClientOut)
    mission = fields.Nested(MissionOut)


class FieldErrorOut(Schema):
    field = fields.String()
    code = fields.String()
    detail = fields.String()
    params = fields.Dict()


class ProblemOut(Schema):
    """RFC 9457 problem details, with the stable ``code`` of the refusal."""

    type = fields.String()
    status = fields.Integer()
    code = fields.String()
    title = fields.String()
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorOut))
