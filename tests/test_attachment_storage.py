"""The attachment storage backends behind one interface, their settings, and the command that
removes the files no attachment names any more (a partner deleted by the database's cascade)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select

from admin_app import create_app
from admin_app.config import settings_from_environment, upload_body_limit
from admin_app.data.attachment_storage import DatabaseStorage, DirectoryStorage, storage_named
from admin_app.data.models import AttachmentBlob, MissionAttachment, User
from admin_app.extensions import db
from tests import attachment_files as files
from tests.conftest import log_in
from tests.test_attachments import stored_counts, stored_files, upload


@pytest.fixture(params=["database", "directory"])
def backend(request, ctx, tmp_path):
    return storage_named(request.param, tmp_path / "files")


def an_attachment_row(ctx, world, stored_in: str) -> str:
    row = MissionAttachment(
        mission_id=world.a_mission, file_name="x.png", media_type="image/png", size=3,
        stored_in=stored_in,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row.id


def test_each_backend_gives_back_what_was_put_and_forgets_it_with_its_attachment(
    ctx, world, backend
):
    attachment_id = an_attachment_row(ctx, world, backend.name)
    backend.put(attachment_id, "original", b"original bytes")
    backend.put(attachment_id, "thumbnail", b"thumbnail bytes")
    db.session.commit()

    assert backend.get(attachment_id, "original") == b"original bytes"
    assert backend.get(attachment_id, "thumbnail") == b"thumbnail bytes"

    db.session.execute(delete(MissionAttachment).where(MissionAttachment.id == attachment_id))
    db.session.commit()
    backend.delete([attachment_id])

    assert backend.get(attachment_id, "original") is None
    assert db.session.scalar(select(func.count()).select_from(AttachmentBlob)) == 0


def test_directory_files_are_named_by_id_only(tmp_path):
    storage = DirectoryStorage(tmp_path)
    attachment_id = str(uuid.uuid4())
    storage.put(attachment_id, "original", b"x")

    assert storage.path(attachment_id, "original").parent.parent == tmp_path
    for bad_id, kind in (("../../etc/passwd", "original"), (attachment_id, "../x")):
        with pytest.raises(ValueError):
            storage.path(bad_id, kind)


def test_storage_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    for name in ("ATTACHMENT_STORAGE", "ATTACHMENT_DIRECTORY", "ATTACHMENT_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    default = settings_from_environment(str(tmp_path))
    monkeypatch.setenv("ATTACHMENT_STORAGE", "directory")
    monkeypatch.setenv("ATTACHMENT_DIRECTORY", "/srv/files")
    monkeypatch.setenv("ATTACHMENT_MAX_BYTES", "5242880")
    chosen = settings_from_environment(str(tmp_path))

    assert default["ATTACHMENT_STORAGE"] == "database"
    assert default["ATTACHMENT_DIRECTORY"] == str(tmp_path / "attachments")
    assert default["ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    assert default["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert (chosen["ATTACHMENT_STORAGE"], chosen["ATTACHMENT_DIRECTORY"]) == (
        "directory", "/srv/files",
    )  # fmt: skip
    assert upload_body_limit({**chosen, "UPLOAD_FORM_ALLOWANCE": 1000}) == 5 * 1024 * 1024 + 1000


def test_an_unknown_storage_stops_the_app_at_start():
    with pytest.raises(ValueError, match="ATTACHMENT_STORAGE must be one of database, directory"):
        create_app({"TESTING": True, "ATTACHMENT_STORAGE": "s3"})


def test_database_storage_is_the_default(app):
    assert isinstance(storage_named(app.config["ATTACHMENT_STORAGE"], "unused"), DatabaseStorage)


def test_prune_command_removes_the_files_of_a_partner_deleted_by_cascade(
    app, client, world, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "ATTACHMENT_STORAGE", "directory")
    monkeypatch.setitem(app.config, "ATTACHMENT_DIRECTORY", str(tmp_path / "files"))
    log_in(client, world.admin)
    upload(client, world.a_mission, files.png_bytes())
    upload(client, world.b_mission, files.png_bytes())
    with app.app_context():
        # The ORM deletes its role links and staff; the database cascades to its rows.
        db.session.delete(db.session.get_one(User, world.partner_a.id))
        db.session.commit()
    assert stored_counts(app) == (1, 0, 4)

    result = app.test_cli_runner().invoke(args=["walkin", "prune-attachments"])

    assert result.exit_code == 0 and "Files of 1 deleted attachments removed." in result.output
    assert stored_counts(app) == (1, 0, 2)
    with app.app_context():
        remaining = db.session.scalar(select(MissionAttachment.id))
    assert {path.name.split(".")[0] for path in stored_files(app)} == {remaining}
