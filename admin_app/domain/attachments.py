"""A mission's attachments: documents and photos that partners, their staff and admins add to
a mission they may change; everyone who sees the mission (support included) reads and
downloads them.

What a file is comes from its bytes (``file_checks.py``); the bytes live behind
``data/attachment_storage.py`` (the database by default). Attachments go with their mission:
the rows by ON DELETE CASCADE, the files of the directory backend by ``remove_files`` in the
rules that delete (clients.py: deletion, erasure, merge). Nothing here knows HTTP.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from flask import current_app
from sqlalchemy import delete, select

from ..data.attachment_storage import AttachmentStorage, DirectoryStorage, storage_named
from ..data.db_types import utcnow
from ..data.models import Mission, MissionAttachment, User, is_row_id
from ..extensions import db
from ..platform.audit import record, record_refused_access
from .errors import AttachmentNotFound, MissionNotFound, NotAllowed
from .file_checks import EXTENSIONS, check_file
from .scoping import may_change_rows, scope_filter

MAX_FILE_NAME_LENGTH = 120
#: Ids looked up at once when pruning the directory.
PRUNE_BATCH = 500
#: The columns a mission's page lists: never the bytes.
LISTED_COLUMNS = (
    MissionAttachment.id, MissionAttachment.file_name, MissionAttachment.media_type,
    MissionAttachment.size, MissionAttachment.thumbnail_type,
    MissionAttachment.uploaded_by_email, MissionAttachment.uploaded_at,
)  # fmt: skip


@dataclass(frozen=True)
class AttachmentInfo:
    """One attachment as pages and exports show it."""

    id: str
    file_name: str
    media_type: str
    size: int
    thumbnail_type: str | None
    uploaded_by: str | None
    uploaded_at: datetime

    @property
    def is_image(self) -> bool:
        return self.thumbnail_type is not None


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's bytes of one kind, with what a download needs."""

    info: AttachmentInfo
    data: bytes
    media_type: str


def configured_storage() -> AttachmentStorage:
    """Where new attachments go (``ATTACHMENT_STORAGE``)."""
    return storage_named(
        current_app.config["ATTACHMENT_STORAGE"], current_app.config["ATTACHMENT_DIRECTORY"]
    )


def storage_of(stored_in: str) -> AttachmentStorage:
    return storage_named(stored_in, current_app.config["ATTACHMENT_DIRECTORY"])


def add_attachment(mission_id: str, actor: User, file_name: object, data: bytes) -> AttachmentInfo:
    """Check ``data`` and attach it to a mission ``actor`` may change, or store nothing:
    ``ValidationError`` on the ``file`` field says why a file is refused."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_missions")
    visible_mission_id(mission_id, actor)
    config = current_app.config
    checked = check_file(
        data, max_bytes=config["ATTACHMENT_MAX_BYTES"], max_pixels=config["ATTACHMENT_MAX_PIXELS"]
    )
    storage = configured_storage()
    row = MissionAttachment(
        mission_id=mission_id, file_name=clean_file_name(file_name, checked.media_type),
        media_type=checked.media_type, size=len(checked.data),
        thumbnail_type=checked.thumbnail_type, stored_in=storage.name, uploaded_by_id=actor.id,
        uploaded_by_email=actor.email, uploaded_at=utcnow(),
    )  # fmt: skip
    db.session.add(row)
    try:
        db.session.flush()
        storage.put(row.id, "original", checked.data)
        if checked.thumbnail is not None:
            storage.put(row.id, "thumbnail", checked.thumbnail)
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete([row.id])
        raise
    details = {"mission": mission_id, "type": row.media_type, "size": row.size}
    record("attachment.add", target=f"mission_attachment:{row.id}", details=details, actor=actor)
    return info_of(row)


def clean_file_name(file_name: object, media_type: str) -> str:
    """The name shown and given to downloads: the uploader's, without folders or control
    characters, at most ``MAX_FILE_NAME_LENGTH`` characters, and ending in an extension of the
    type read from the content (added when it says otherwise)."""
    text = file_name if isinstance(file_name, str) else ""
    text = PurePosixPath(text.replace("\\", "/")).name
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C").strip()
    extensions = EXTENSIONS[media_type]
    if not text.lower().endswith(extensions):
        text = (text or "attachment")[: MAX_FILE_NAME_LENGTH - 5] + extensions[0]
    if len(text) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        text = stem[: MAX_FILE_NAME_LENGTH - len(extension) - 1] + dot + extension
    return text


def mission_attachments(mission_id: str, user: User) -> list[AttachmentInfo]:
    """The attachments of a mission ``user`` sees, oldest first, in one query (no bytes)."""
    query = (
        select(*LISTED_COLUMNS)
        .join(Mission, Mission.id == MissionAttachment.mission_id)
        .where(MissionAttachment.mission_id == mission_id, scope_filter(Mission, user))
        .order_by(MissionAttachment.uploaded_at, MissionAttachment.id)
    )
    return [AttachmentInfo(*row) for row in db.session.execute(query)]


def attachment_file(attachment_id: str, user: User, kind: str) -> AttachmentFile:
    """The ``original`` or ``thumbnail`` bytes of an attachment of a mission ``user`` sees;
    ``AttachmentNotFound`` for any other (another shop's included), or a PDF's thumbnail."""
    row = visible_attachment(attachment_id, user)
    media_type = row.media_type if kind == "original" else row.thumbnail_type
    data = storage_of(row.stored_in).get(row.id, kind) if media_type else None
    if data is None:
        raise AttachmentNotFound(attachment_id)
    return AttachmentFile(info_of(row), data, media_type or "")


def visible_attachment(attachment_id: str, user: User) -> MissionAttachment:
    """An attachment of a mission ``user`` sees; ``AttachmentNotFound`` otherwise."""
    if not is_row_id(attachment_id):
        raise AttachmentNotFound(attachment_id)
    row = db.session.scalar(
        select(MissionAttachment)
        .join(Mission, Mission.id == MissionAttachment.mission_id)
        .where(MissionAttachment.id == attachment_id, scope_filter(Mission, user))
    )
    if row is None:
        record_refused_access(MissionAttachment, attachment_id, user)
        raise AttachmentNotFound(attachment_id)
    return row


def delete_attachment(attachment_id: str, actor: User) -> AttachmentInfo:
    """Delete an attachment of a mission ``actor`` may change, with its bytes."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_missions")
    row = visible_attachment(attachment_id, actor)
    info, mission_id, stored_in = info_of(row), row.mission_id, row.stored_in
    db.session.execute(delete(MissionAttachment).where(MissionAttachment.id == attachment_id))
    db.session.commit()
    storage_of(stored_in).delete([attachment_id])
    details = {"mission": mission_id, "type": info.media_type, "size": info.size}
    target = f"mission_attachment:{attachment_id}"
    record("attachment.delete", target=target, details=details, actor=actor)
    return info


def visible_mission_id(mission_id: str, user: User) -> str:
    """``mission_id`` if ``user`` sees that mission; ``MissionNotFound`` otherwise."""
    if is_row_id(mission_id) and db.session.scalar(
        select(Mission.id).where(Mission.id == mission_id, scope_filter(Mission, user))
    ):
        return mission_id
    record_refused_access(Mission, mission_id, user)
    raise MissionNotFound(mission_id)


def files_of_client(client_id: str) -> list[str]:
    """The attachments of a client's missions whose bytes are files (directory backend): read
    before the client is deleted, removed after (``remove_files``)."""
    return list(
        db.session.scalars(
            select(MissionAttachment.id)
            .join(Mission, Mission.id == MissionAttachment.mission_id)
            .where(
                Mission.client_id == client_id,
                MissionAttachment.stored_in == DirectoryStorage.name,
            )
        )
    )


def remove_files(attachment_ids: Iterable[str]) -> None:
    """Remove the files of attachments whose rows are gone (committed)."""
    ids = list(attachment_ids)
    if ids:
        storage_of(DirectoryStorage.name).delete(ids)


def prune_files() -> int:
    """Remove the directory's files that no attachment row names any more (a partner deleted
    by the database's cascade, a crash between a commit and a removal); return how many
    attachments' files went."""
    storage = DirectoryStorage(current_app.config["ATTACHMENT_DIRECTORY"])
    stored = sorted(storage.stored_ids())
    kept: set[str] = set()
    for start in range(0, len(stored), PRUNE_BATCH):
        batch = stored[start : start + PRUNE_BATCH]
        rows = select(MissionAttachment.id).where(MissionAttachment.id.in_(batch))
        kept.update(db.session.scalars(rows))
    gone = set(stored) - kept
    storage.delete(gone)
    return len(gone)


def client_attachments(client_id: str) -> dict[str, list[AttachmentInfo]]:
    """A client's attachments by mission, for its personal-data export (one query)."""
    query = (
        select(MissionAttachment.mission_id, *LISTED_COLUMNS)
        .join(Mission, Mission.id == MissionAttachment.mission_id)
        .where(Mission.client_id == client_id)
        .order_by(MissionAttachment.uploaded_at, MissionAttachment.id)
    )
    by_mission: dict[str, list[AttachmentInfo]] = {}
    for mission_id, *columns in db.session.execute(query):
        by_mission.setdefault(mission_id, []).append(AttachmentInfo(*columns))
    return by_mission


def info_of(row: MissionAttachment) -> AttachmentInfo:
    return AttachmentInfo(
        row.id, row.file_name, row.media_type, row.size, row.thumbnail_type,
        row.uploaded_by_email, row.uploaded_at,
    )  # fmt: skip
