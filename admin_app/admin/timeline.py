"""A mission's timeline on its details page: the "Add a note" form (``POST /note/``) and the
entries in words ("Started", "Cancelled — client left: …", a note's text)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from werkzeug.wrappers import Response

from ..data.models import Mission, MissionEvent, MissionStatus
from ..domain.errors import NotFound, ValidationError
from ..domain.timeline import TIMELINE_CAP, Timeline, add_note, mission_timeline
from ..domain.validation import MAX_NOTES_LENGTH
from .formatting import CANCEL_REASON_LABELS, STATUS_LABELS
from .messages import problem_text

#: What a history entry into each status says (its creation says "Mission opened").
ENTERED_WORDS = {
    MissionStatus.IN_PROGRESS: _l("Started"),
    MissionStatus.COMPLETED: _l("Completed"),
    MissionStatus.CANCELLED: _l("Cancelled"),
}


def event_words(event: MissionEvent) -> str:
    """A history entry in words: "Mission opened", "Started", "Cancelled — client left: <note>"."""
    if event.from_status is None:
        return gettext("Mission opened")
    words = str(ENTERED_WORDS.get(event.to_status, STATUS_LABELS[event.to_status]))
    if event.reason is None:
        return words
    reason = str(CANCEL_REASON_LABELS[event.reason]).lower()
    if event.note:
        return gettext(
            "%(status)s — %(reason)s: %(note)s", status=words, reason=reason, note=event.note
        )
    return gettext("%(status)s — %(reason)s", status=words, reason=reason)


class TimelineMixin:
    """The timeline of ``MissionView``'s details page and its note form (support: 403)."""

    get_url: Any
    timeline_cap = TIMELINE_CAP
    note_max_length = MAX_NOTES_LENGTH
    event_words = staticmethod(event_words)

    def timeline(self, mission: Mission) -> Timeline:
        return mission_timeline(mission.id, current_user, self.timeline_cap)

    @expose("/note/", methods=("POST",))
    def note_view(self) -> Response:
        """Add a note to one mission, then back to its page."""
        mission_id = request.form.get("id", "")
        try:
            add_note(mission_id, current_user, request.form.get("text", ""))
        except NotFound:
            abort(404)
        except ValidationError as error:
            for problem in error.errors.values():
                flash(gettext("Note not added: %(reason)s", reason=problem_text(problem)), "danger")
        else:
            flash(gettext("Note added."), "success")
        return redirect(self.get_url(".details_view", id=mission_id, url=get_redirect_target()))
