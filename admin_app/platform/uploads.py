"""Request bodies are refused (413) before they are read when larger than ``MAX_CONTENT_LENGTH``
(1 MB), except on the views that take a file, registered by ``accept_uploads``: theirs may be
``ATTACHMENT_MAX_BYTES`` plus ``UPLOAD_FORM_ALLOWANCE`` (the form's other fields). Werkzeug
checks the announced length before reading anything, and counts a body without one as it
reads; a file is spooled to a temporary file, never held whole in a form field."""

from __future__ import annotations

from flask import Flask, Request, current_app

from ..config import upload_body_limit

UPLOAD_ENDPOINTS = "walkin.upload_endpoints"


class PanelRequest(Request):
    """Flask's request, whose body limit depends on the view it is for."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and takes_uploads(self.endpoint):
            return upload_body_limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def takes_uploads(endpoint: str | None) -> bool:
    """Whether the view ``endpoint`` (of the current app) takes a file."""
    return bool(current_app) and endpoint in current_app.extensions.get(UPLOAD_ENDPOINTS, ())


def accept_uploads(app: Flask, *endpoints: str) -> None:
    app.extensions.setdefault(UPLOAD_ENDPOINTS, set()).update(endpoints)
