"""The clients view's checks against duplicates: the new-client form's duplicate check (JSON
for ``static/duplicates.js``) and the admins' merge of two clients of one partner."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_security import current_user
from werkzeug.wrappers import Response

from ..data.models import Client
from ..domain.clients import merge_clients, visible_client
from ..domain.duplicates import PROBE_FIELDS, Duplicate, likely_duplicates
from ..domain.errors import ClientNotFound, MergeRefused
from ..domain.masking import mask_email, mask_phone
from .messages import merge_refusal

#: For admins only (the view's gate answers 403 to others).
MERGE_VIEWS = frozenset({"merge_view"})


class DuplicateChecks:
    """Mixed into ``ClientView``: its pages for likely duplicates."""

    render: Any

    @expose("/duplicates/")
    def duplicates_view(self) -> Response:
        """Likely duplicates of the client being registered, as JSON for ``duplicates.js``:
        among the user's own clients, or the chosen partner's for users who see every partner."""
        fields = {name: request.args.get(name, "") for name in PROBE_FIELDS}
        partner_id = request.args.get("partner", type=int)
        found = likely_duplicates(current_user, fields, partner_id=partner_id)
        return jsonify(candidates=[self._candidate(duplicate) for duplicate in found])

    def _candidate(self, duplicate: Duplicate) -> dict[str, Any]:
        client = duplicate.client
        return {
            "id": client.id,
            "name": client.full_name,
            "email": mask_email(client.email),
            "phone": mask_phone(client.phone),
            "city": client.city or "",
            "reasons": list(duplicate.reasons),
            "details_url": url_for(".details_view", id=client.id),
            "new_mission_url": url_for(".new_mission_view", id=client.id),
        }

    @expose("/merge/", methods=("GET", "POST"))
    def merge_view(self) -> Any:
        """Merge a client into another of the same partner (admins only): choose the client to
        keep, confirm; the missions move, this client is deleted."""
        source = request.form if request.method == "POST" else request.args
        try:
            drop = visible_client(source.get("id", ""), current_user)
        except ClientNotFound:
            abort(404)
        if request.method == "POST":
            keep_id = (request.form.get("keep_id") or request.form.get("keep") or "").strip()
            return self._merge(drop, keep_id)
        return self.render(
            "admin/client_merge.html", model=drop, candidates=self._merge_candidates(drop)
        )

    def _merge(self, drop: Client, keep_id: str) -> Response:
        drop_id, drop_name = drop.id, drop.full_name
        try:
            keep = visible_client(keep_id, current_user)
            keep_name = keep.full_name
            moved = merge_clients(keep.id, drop_id, current_user)
        except ClientNotFound:
            flash(gettext("Choose the client to keep: no client has this id."), "danger")
        except MergeRefused as refusal:
            flash(merge_refusal(refusal), "danger")
        else:
            flash(
                ngettext(
                    "%(drop)s was merged into %(keep)s: %(num)d mission moved.",
                    "%(drop)s was merged into %(keep)s: %(num)d missions moved.",
                    moved,
                    drop=drop_name,
                    keep=keep_name,
                ),
                "success",
            )
            return redirect(url_for(".details_view", id=keep_id))
        return redirect(url_for(".merge_view", id=drop_id))

    def _merge_candidates(self, drop: Client) -> list[Duplicate]:
        fields = {name: getattr(drop, name) for name in PROBE_FIELDS}
        found = likely_duplicates(current_user, fields, partner_id=drop.partner_id)
        return [duplicate for duplicate in found if duplicate.client.id != drop.id]
