"""A mission's timeline: its notes (append-only: added, never edited or deleted) interleaved with
its history (creation, each transition with its cancel reason, the merges that moved it to
another client), newest first.

A page shows at most ``TIMELINE_CAP`` entries, read in three queries of that size (notes,
transitions, merges) whatever the mission holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..data.db_types import utcnow
from ..data.models import MissionEvent, MissionMerge, MissionNote, User
from ..extensions import db
from .errors import FieldProblem, NotAllowed, ValidationError
from .missions import current_status
from .scoping import may_change_rows
from .validation import clean_notes

#: The newest entries a mission's page shows.
TIMELINE_CAP = 100


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: a note (``note``), a transition (``event``) or a merge
    (``merge``), with who wrote or did it (``who``: an email, or None for a deleted account)
    and when."""

    at: datetime
    who: str | None
    note: MissionNote | None = None
    event: MissionEvent | None = None
    merge: MissionMerge | None = None


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    #: Whether older entries exist beyond the ``TIMELINE_CAP`` shown.
    cut: bool


def add_note(mission_id: str, actor: User, text: object) -> MissionNote:
    """Add a note to a mission ``actor`` may change; ``MissionNotFound`` for any other."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_missions")
    current_status(mission_id, actor)
    cleaned = clean_notes(text, "text")
    if cleaned is None:
        raise ValidationError({"text": FieldProblem("required")})
    note = MissionNote(
        mission_id=mission_id, author_id=actor.id, author_email=actor.email, at=utcnow(),
        text=cleaned,
    )  # fmt: skip
    db.session.add(note)
    db.session.commit()
    return note


def mission_timeline(mission_id: str, user: User, cap: int = TIMELINE_CAP) -> Timeline:
    """The newest ``cap`` notes and history entries of a mission visible to ``user``."""
    current_status(mission_id, user)
    notes = db.session.scalars(
        select(MissionNote)
        .where(MissionNote.mission_id == mission_id)
        .order_by(MissionNote.at.desc(), MissionNote.id.desc())
        .limit(cap + 1)
    ).all()
    events = _newest_with_actor(MissionEvent, mission_id, cap)
    merges = _newest_with_actor(MissionMerge, mission_id, cap)
    entries = [TimelineEntry(note.at, note.author_email, note=note) for note in notes]
    entries += [TimelineEntry(event.at, email, event=event) for event, email in events]
    entries += [TimelineEntry(merge.at, email, merge=merge) for merge, email in merges]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return Timeline(entries[:cap], cut=len(entries) > cap)


def _newest_with_actor(
    model: type[MissionEvent] | type[MissionMerge], mission_id: str, cap: int
) -> list[Any]:
    """A mission's newest ``cap + 1`` history rows of one kind, each with its actor's email."""
    return list(
        db.session.execute(
            select(model, User.email)
            .outerjoin(User, User.id == model.actor_id)
            .where(model.mission_id == mission_id)
            .order_by(model.at.desc(), model.id.desc())
            .limit(cap + 1)
        ).all()
    )
