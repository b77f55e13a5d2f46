"""The cancel page: one form asks why (a reason from a short list, optional words) before
missions are cancelled, for the row button, the details page and the batch action alike
(Flask-Admin's actions cannot ask for input, so the batch action leads here with its ids).

GET ``/admin/missions/cancel/?id=…&id=…&url=…`` lists the missions; POST cancels them all or
none (``cancel_missions``) and goes back to ``url`` with a message.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Query, joinedload
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Optional

from ..data.models import Mission, is_row_id
from ..domain.errors import BatchRefused, NotFound, ValidationError
from ..domain.missions import cancel_missions
from ..domain.transitions import transition
from ..domain.validation import MAX_NOTES_LENGTH
from ..platform.audit import record_refused_access
from .formatting import CANCEL_REASON_LABELS
from .forms import show_domain_errors
from .messages import refusal_reason

#: At most one list page of missions (``page_size_options``) in one cancellation.
MAX_CANCELLED = 100


class CancelForm(FlaskForm):
    """One reason (and optional words) for every mission listed; the domain checks them."""

    reason = SelectField(_l("Reason"), validators=[Optional()], validate_choice=False)
    note = TextAreaField(
        _l("Note (optional)"), render_kw={"maxlength": MAX_NOTES_LENGTH, "rows": 3}
    )
    url = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(reason.value, label) for reason, label in CANCEL_REASON_LABELS.items()]
        self.reason.choices = [("", _l("Choose a reason"))] + choices


class CancelPageMixin:
    """The cancel page of ``MissionView`` (its scoped query, its gate: support gets 403)."""

    get_query: Any
    get_url: Any
    render: Any

    @expose("/cancel/", methods=("GET", "POST"))
    def cancel_view(self) -> Any:
        ids = request.values.getlist("id")
        missions = self._cancellable(ids)
        form = CancelForm()
        back = get_redirect_target() or self.get_url(".index_view")
        if request.method == "POST" and form.validate():
            done = self._cancel(missions, form)
            if done:
                return redirect(back)
        form.url.data = back
        blocked = {
            mission.id: transition("cancel").refused_because[mission.status]
            for mission in missions
            if mission.status not in transition("cancel").sources
        }
        return self.render(
            "admin/mission_cancel.html", missions=missions, form=form, back=back, blocked=blocked
        )

    def _cancellable(self, ids: list[str]) -> list[Mission]:
        """The missions named by ``ids``, with their clients, in the order given; 404 when any
        is malformed or outside the user's scope (the batch actions' rule), 400 for none or
        more than a page."""
        unique = list(dict.fromkeys(ids))
        if not unique or len(unique) > MAX_CANCELLED:
            abort(400)
        if not all(is_row_id(mission_id) for mission_id in unique):
            abort(404)
        query: Query = self.get_query().filter(Mission.id.in_(unique))
        found = {row.id: row for row in query.options(joinedload(Mission.client))}
        for mission_id in set(unique) - set(found):
            record_refused_access(Mission, mission_id, current_user)
        if len(found) != len(unique):
            abort(404)
        return [found[mission_id] for mission_id in unique]

    def _cancel(self, missions: list[Mission], form: CancelForm) -> bool:
        """Cancel them all through the rules; say what happened; False leaves the form shown."""
        try:
            done = cancel_missions(
                [mission.id for mission in missions],
                current_user,
                form.reason.data,
                form.note.data,
            )
        except NotFound:
            abort(404)
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        except BatchRefused as refused:
            for mission in missions:
                if mission.id in refused.refusals:
                    reason = refusal_reason(refused.refusals[mission.id])
                    flash(
                        gettext(
                            "Not done: %(client)s's mission %(id)s: %(reason)s.",
                            client=mission.client.full_name,
                            id=short_id(mission.id),
                            reason=reason,
                        ),
                        "danger",
                    )
            flash(gettext("No mission was cancelled."), "danger")
            return False
        flash(transition("cancel").done(done) + ".", "success")
        return True

    def cancel_page_url(self, ids: list[str], back: str | None) -> str:
        """Where the row button, the details page and the batch action send the user."""
        return url_for(".cancel_view", id=ids, url=back or None)


def short_id(mission_id: str) -> str:
    """The first characters of a mission's id, as the panel shows it beside the client."""
    return mission_id[:8]


def to_cancel_page(view: CancelPageMixin, ids: list[str]) -> Response:
    """The batch action "Cancel": the confirmation form with the selected ids."""
    return redirect(view.cancel_page_url(ids, request.form.get("url")))
