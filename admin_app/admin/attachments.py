"""A mission's attachments on its details page: the list with thumbnails, the upload form,
downloads, and deletion after a confirmation page.

Every file is served by these views only, through the domain's scoped reads (another shop's
attachment: 404), never inline: the original as a download (``Content-Disposition:
attachment``), the thumbnail (our own re-encoding) as an image for the page; both with nosniff
and a policy under which nothing runs (``UPLOADED_FILE_POLICY``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, send_file
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from ..config import megabytes
from ..data.models import Mission
from ..domain.attachments import (
    AttachmentFile,
    AttachmentInfo,
    add_attachment,
    attachment_file,
    delete_attachment,
    info_of,
    mission_attachments,
    visible_attachment,
)
from ..domain.errors import NotFound, ValidationError
from ..platform.http_security import UPLOADED_FILE_POLICY
from .messages import problem_text

#: The views that change attachments: support staff get 403.
ATTACHMENT_WRITE_VIEWS = frozenset({"attachment_upload_view", "attachment_delete_view"})
#: Accepted by the file picker (a hint only: the content decides).
ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


class AttachmentForm(BaseForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to attach."))])


@dataclass(frozen=True)
class AttachmentLinks:
    """The URLs every attachment of a page shares, each ending in ``?id=``."""

    file: str
    thumbnail: str
    delete: str


def file_size(size: int) -> str:
    """A size as people read it: "820 bytes", "14.2 kB", "3.1 MB", in the user's language."""
    if size < 1024:
        return gettext("%(num)s bytes", num=format_decimal(size))
    if size < 1024 * 1024:
        return gettext("%(num)s kB", num=format_decimal(round(size / 1024, 1)))
    return gettext("%(num)s MB", num=format_decimal(round(size / (1024 * 1024), 1)))


def file_response(file: AttachmentFile, *, as_attachment: bool, name: str) -> Response:
    response = send_file(
        io.BytesIO(file.data),
        mimetype=file.media_type,
        as_attachment=as_attachment,
        download_name=name,
        etag=False,
    )
    response.headers["Content-Security-Policy"] = UPLOADED_FILE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class AttachmentsMixin:
    """Attachments of ``MissionView``'s details page."""

    get_url: Any
    may_write: Any
    render: Any
    details_view: Any
    accepted_types = ACCEPTED_TYPES
    file_size = staticmethod(file_size)

    def attachments(self, mission: Mission) -> list[AttachmentInfo]:
        return mission_attachments(mission.id, current_user)

    def attachment_links(self) -> AttachmentLinks:
        return AttachmentLinks(
            file=self.get_url(".attachment_file_view") + "?id=",
            thumbnail=self.get_url(".attachment_thumbnail_view") + "?id=",
            delete=self.get_url(".attachment_delete_view") + "?id=",
        )

    def max_megabytes(self) -> str:
        return megabytes(current_app.config["ATTACHMENT_MAX_BYTES"])

    def attachment_form(self) -> AttachmentForm:
        """The upload form, with its errors after a refused upload."""
        return g.get("attachment_form") or AttachmentForm()

    @expose("/attachments/", methods=("POST",))
    def attachment_upload_view(self) -> Any:
        """Attach the posted file to the mission ``?id=``; a refused file is named at the
        form's field on the mission's page, drawn again (as the panel's other forms are), and
        nothing is stored."""
        mission_id = request.args.get("id", "")
        form = AttachmentForm(CombinedMultiDict((request.files, request.form)))
        if form.validate():
            upload = form.file.data
            try:
                added = add_attachment(mission_id, current_user, upload.filename, upload.read())
            except NotFound:
                abort(404)
            except ValidationError as error:
                form.file.errors = [problem_text(problem) for problem in error.errors.values()]
            else:
                flash(gettext("%(name)s is attached.", name=added.file_name), "success")
                return redirect(self.get_url(".details_view", id=mission_id))
        g.attachment_form = form
        return self.details_view()

    @expose("/attachments/file/")
    def attachment_file_view(self) -> Response:
        """The file as a download, whatever its type."""
        file = self._file("original")
        return file_response(file, as_attachment=True, name=file.info.file_name)

    @expose("/attachments/thumbnail/")
    def attachment_thumbnail_view(self) -> Response:
        """An image's thumbnail, re-encoded by us, for the page's ``<img>``."""
        file = self._file("thumbnail")
        extension = "png" if file.media_type == "image/png" else "jpg"
        return file_response(file, as_attachment=False, name=f"thumbnail.{extension}")

    def _file(self, kind: str) -> AttachmentFile:
        try:
            return attachment_file(request.args.get("id", ""), current_user, kind)
        except NotFound:
            abort(404)

    @expose("/attachments/delete/", methods=("GET", "POST"))
    def attachment_delete_view(self) -> Any:
        """Asks first (GET), deletes on the confirmation's POST."""
        attachment_id = request.args.get("id", "")
        try:
            row = visible_attachment(attachment_id, current_user)
            if request.method == "GET":
                return self.render(
                    "admin/attachment_delete.html", attachment=info_of(row), mission=row.mission_id
                )
            mission_id = row.mission_id
            deleted = delete_attachment(attachment_id, current_user)
        except NotFound:
            abort(404)
        flash(gettext("%(name)s is deleted.", name=deleted.file_name), "success")
        return redirect(self.get_url(".details_view", id=mission_id))
