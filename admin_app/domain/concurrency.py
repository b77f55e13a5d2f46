"""Optimistic locking: an edit made from a stale form never overwrites someone else's save."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from ..data.models import Client, Mission
from ..extensions import db
from .errors import EditConflict


def check_version(row: Client | Mission, expected_version: int | None) -> None:
    if expected_version is not None and row.version != expected_version:
        raise EditConflict(row.__tablename__, row.id)


def commit_or_conflict(row: Client | Mission) -> None:
    """Commit; the mapper's version check turns a save that raced another into a conflict."""
    row_id = row.id
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise EditConflict(row.__tablename__, row_id) from error
