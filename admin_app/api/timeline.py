"""``/api/v1/missions/<id>/timeline`` and ``…/notes``: a mission's notes and history, newest
first, and a new note (``domain/timeline.py``)."""

from __future__ import annotations

from typing import Any, cast

from ..data.models import MissionMerge, MissionNote
from ..domain.timeline import TimelineEntry, add_note, mission_timeline
from .auth import READING, WRITING, allowed, api_actor
from .blueprint import blp
from .list_schemas import NoteIn, NoteOut, TimelineOut


@blp.route("/missions/<mission_id>/timeline", methods=["GET"])
@allowed(*READING)
@blp.response(200, TimelineOut)
def read_timeline(mission_id: str) -> dict[str, Any]:
    """A mission's newest notes and history entries (at most 100: ``cut`` says if older ones
    exist)."""
    timeline = mission_timeline(mission_id, api_actor())
    return {"entries": [entry_json(entry) for entry in timeline.entries], "cut": timeline.cut}


@blp.route("/missions/<mission_id>/notes", methods=["POST"])
@allowed(*WRITING)
@blp.arguments(NoteIn)
@blp.response(201, NoteOut)
def new_note(body: dict[str, Any], mission_id: str) -> MissionNote:
    """Add a note to a mission's timeline (notes are never edited or deleted)."""
    return add_note(mission_id, api_actor(), body["text"])


def entry_json(entry: TimelineEntry) -> dict[str, Any]:
    """One timeline entry with the fields of its kind."""
    shared = {"at": entry.at, "who": entry.who}
    if entry.note is not None:
        return {"kind": "note", **shared, "note_id": entry.note.id, "text": entry.note.text}
    if entry.event is not None:
        event = entry.event
        return {
            "kind": "transition",
            **shared,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": event.reason,
            "note": event.note,
        }
    merge = cast(MissionMerge, entry.merge)  # an entry is one of the three kinds
    return {
        "kind": "merge",
        **shared,
        "from_client_id": merge.from_client_id,
        "from_client_name": merge.from_client_name,
    }
