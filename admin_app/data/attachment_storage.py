"""Where the bytes of attachments are kept, behind one small interface (``AttachmentStorage``).

- ``database`` (the default): ``attachment_blob`` rows, written in the request's transaction,
  so a file is saved with its description or not at all, is in the same backup as its mission,
  is served by every app host, and goes with its mission by ON DELETE CASCADE.
- ``directory``: one file per attachment and kind under ``ATTACHMENT_DIRECTORY``, named by the
  attachment's id (a UUID made by us, never the uploader's name). Files are written before the
  commit and removed again when it fails; the domain removes the files of the attachments it
  deletes after their rows are gone (``attachments.py``).

Each attachment row says where its bytes are (``stored_in``), so changing the setting later
leaves earlier files readable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from ..extensions import db
from .models import AttachmentBlob, is_row_id

#: The two files of an attachment: the re-encoded upload and, for images, its thumbnail.
KINDS = ("original", "thumbnail")


class AttachmentStorage(Protocol):
    """Bytes by attachment id and kind (``KINDS``). ``put`` is called before the attachment's
    row is committed, ``delete`` after its row is gone (deleted and committed, or rolled
    back)."""

    name: str

    def put(self, attachment_id: str, kind: str, data: bytes) -> None: ...

    def get(self, attachment_id: str, kind: str) -> bytes | None: ...

    def delete(self, attachment_ids: Iterable[str]) -> None: ...


class DatabaseStorage:
    """Rows of ``attachment_blob`` in the current session: committed or rolled back with it."""

    name = "database"

    def put(self, attachment_id: str, kind: str, data: bytes) -> None:
        db.session.add(AttachmentBlob(attachment_id=attachment_id, kind=kind, data=data))

    def get(self, attachment_id: str, kind: str) -> bytes | None:
        return db.session.scalar(
            select(AttachmentBlob.data).where(
                AttachmentBlob.attachment_id == attachment_id, AttachmentBlob.kind == kind
            )
        )

    def delete(self, attachment_ids: Iterable[str]) -> None:
        """Nothing to do: the rows went with their attachments' (ON DELETE CASCADE), in the
        transaction that deleted them, or were never committed."""


class DirectoryStorage:
    """Files ``<directory>/<first two characters of the id>/<id>.<kind>``."""

    name = "directory"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, attachment_id: str, kind: str) -> Path:
        if not is_row_id(attachment_id) or kind not in KINDS:
            raise ValueError(f"not an attachment file: {attachment_id!r} {kind!r}")
        return self.directory / attachment_id[:2] / f"{attachment_id}.{kind}"

    def put(self, attachment_id: str, kind: str, data: bytes) -> None:
        """Written to a temporary name first, then renamed: a reader never sees half a file."""
        path = self.path(attachment_id, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, attachment_id: str, kind: str) -> bytes | None:
        try:
            return self.path(attachment_id, kind).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, attachment_ids: Iterable[str]) -> None:
        for attachment_id in attachment_ids:
            for kind in KINDS:
                self.path(attachment_id, kind).unlink(missing_ok=True)

    def stored_ids(self) -> set[str]:
        """The ids of every attachment that has a file here."""
        return {
            path.name.split(".", 1)[0]
            for path in self.directory.glob("*/*.*")
            if is_row_id(path.name.split(".", 1)[0])
        }


STORAGE_NAMES = (DatabaseStorage.name, DirectoryStorage.name)


def storage_named(name: str, directory: str | Path) -> AttachmentStorage:
    """The backend called ``name`` (``ATTACHMENT_STORAGE``); ``ValueError`` for any other."""
    if name == DatabaseStorage.name:
        return DatabaseStorage()
    if name == DirectoryStorage.name:
        return DirectoryStorage(directory)
    raise ValueError(f"ATTACHMENT_STORAGE must be one of {', '.join(STORAGE_NAMES)}, not {name!r}")
