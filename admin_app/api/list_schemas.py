"""The JSON shapes of the lists, the timeline and the dashboard (``lists.py``, ``timeline.py``,
``dashboard.py``). As in ``schemas.py``: shapes only here, content checked by the domain
(``domain/paging.py``: page size, days, cursor, status), each error a code of
``errors.FIELD_PROBLEMS``."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate

from ..data.models import CancelReason, MissionStatus
from ..domain.paging import MAX_PAGE_SIZE, PAGE_SIZE, STATUS_CHOICES
from .schemas import (
    NUMBER_ERRORS,
    TEXT_ERRORS,
    ClientOut,
    MissionOut,
    StrictSchema,
    row_number,
    text,
)

DATE_ERRORS = {"invalid": "invalid_date", "null": "invalid_date"}
DATETIME_ERRORS = {"invalid": "invalid_datetime", "null": "invalid_datetime"}
#: The query's arguments: an unknown one (``stauts=``) is refused by name, not ignored.
QUERY = {"location": "query", "unknown": RAISE}


class ListArgs(StrictSchema):
    cursor = fields.String(
        error_messages=TEXT_ERRORS,
        metadata={"description": "The previous page's next_cursor, as it came"},
    )
    limit = fields.Integer(
        load_default=PAGE_SIZE,
        error_messages=NUMBER_ERRORS,
        metadata={"minimum": 1, "maximum": MAX_PAGE_SIZE},
    )
    q = fields.String(
        error_messages=TEXT_ERRORS,
        metadata={"description": "Words of the client's names, email or phone (all must match)"},
    )
    created_from = fields.Date(
        error_messages=DATE_ERRORS, metadata={"description": "First day (report time zone)"}
    )
    created_to = fields.Date(
        error_messages=DATE_ERRORS, metadata={"description": "Last day, included"}
    )
    updated_since = fields.AwareDateTime(
        default_timezone=UTC,
        error_messages=DATETIME_ERRORS,
        metadata={"description": "ISO 8601; without a time zone, UTC"},
    )
    partner_id = row_number(description="With an admin's key: one partner's rows")


class MissionListArgs(ListArgs):
    status = fields.String(error_messages=TEXT_ERRORS, metadata={"enum": list(STATUS_CHOICES)})
    service_type_id = row_number()


class DashboardArgs(StrictSchema):
    partner_id = row_number(description="With an admin's key: one partner's figures")


class ClientPageOut(Schema):
    items = fields.List(fields.Nested(ClientOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "The next page's cursor; null on the last"}
    )


class MissionPageOut(Schema):
    items = fields.List(fields.Nested(MissionOut))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "The next page's cursor; null on the last"}
    )


class NoteIn(StrictSchema):
    text = text(required=True)


class NoteOut(Schema):
    id = fields.Integer()
    mission_id = fields.String()
    at = fields.DateTime()
    who = fields.String(attribute="author_email", metadata={"description": "The author's email"})
    text = fields.String()


class TimelineEntryOut(Schema):
    """A note, a transition or a merge; ``who`` is the author's or actor's email (null for a
    deleted account)."""

    kind = fields.String(validate=validate.OneOf(["note", "transition", "merge"]))
    at = fields.DateTime()
    who = fields.String(allow_none=True)
    note_id = fields.Integer(metadata={"description": "kind note"})
    text = fields.String(metadata={"description": "kind note: the note"})
    from_status = fields.String(
        allow_none=True,
        metadata={
            "description": "kind transition: null for the mission's creation",
            "enum": [status.value for status in MissionStatus],
        },
    )
    to_status = fields.String(metadata={"enum": [status.value for status in MissionStatus]})
    reason = fields.String(
        allow_none=True, metadata={"enum": [reason.value for reason in CancelReason]}
    )
    note = fields.String(allow_none=True, metadata={"description": "kind transition: cancel note"})
    from_client_id = fields.String(metadata={"description": "kind merge: the client merged away"})
    from_client_name = fields.String()


class TimelineOut(Schema):
    entries = fields.List(fields.Nested(TimelineEntryOut))
    cut = fields.Boolean(metadata={"description": "Older entries exist beyond those shown"})


class MissionSummaryOut(Schema):
    """One of the newest missions, as the panel's dashboard shows it."""

    id = fields.String()
    client = fields.String(metadata={"description": "The client's full name"})
    status = fields.String()
    created_at = fields.DateTime()


class DashboardOut(Schema):
    active = fields.Integer(metadata={"description": "Missions pending or in progress"})
    completed = fields.Integer()
    clients = fields.Integer()
    latest = fields.List(
        fields.Nested(MissionSummaryOut), metadata={"description": "Newest missions"}
    )
