"""The domain rules: registering a walk-in client, mission transitions, history and scoping.

Every entry point (forms, row buttons, batch actions, CLI) goes through these functions. This
module knows nothing of HTTP: it raises the errors of ``errors.py`` and the callers turn them into
messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ..data.db_types import utcnow
from ..data.models import (
    Client,
    Mission,
    MissionEvent,
    MissionMerge,
    MissionStatus,
    ServiceType,
    User,
    is_row_id,
)
from ..extensions import db
from ..platform.audit import record_refused_access
from .clients import visible_client
from .consent import add_consent, record_panel_change
from .errors import (
    BatchRefused,
    DomainError,
    EditConflict,
    FieldProblem,
    MissionChanged,
    MissionNotFound,
    NotAllowed,
    TransitionRefused,
    ValidationError,
)
from .outbox import announce_new_mission, queue_mission_message
from .report_rollups import (
    FACT_COLUMNS,
    MissionFacts,
    count_mission_change,
    count_opened,
    is_first_visit,
)
from .scoping import (
    is_partner,
    may_change_rows,
    may_register_for,
    scope_filter,
    sees_all_partners,
    shop_id_of,
    shop_of,
    visible_row,
)
from .services import apply_service_type, service_type_for_new_mission
from .tally import count_new_mission, count_registration, count_transition
from .transitions import Transition, transition
from .validation import (
    clean_cancel_reason,
    clean_notes,
    client_language_default,
    configured_phone_region,
    normalise_client_input,
)


def register_walk_in_client(
    partner: User,
    *,
    actor: User | None = None,
    service_type_id: int | None = None,
    language: object = None,
    email_consent: bool = False,
    **fields: Any,
) -> tuple[Client, Mission]:
    """Validate and save a walk-in client with its pending mission, both or neither.

    ``actor`` is who registered it (an admin acting for ``partner``, or one of the shop's staff);
    it defaults to the partner, and the history names it. The mission has the service type
    ``service_type_id`` (an active one), else the default. The client's messages are in
    ``language`` (the partner's by default) and sent only if ``email_consent`` is given, which
    is recorded as captured by the actor.
    """
    cleaned = normalise_client_input(
        fields,
        language=language,
        default_language=client_language_default(partner.language, None),
        phone_region=configured_phone_region(),
    )
    if not is_partner(partner):
        raise ValidationError({"partner": FieldProblem("not_active_partner")})
    if actor is not None and not may_register_for(actor, partner):
        raise NotAllowed(actor, "change_clients")
    actor = actor or partner
    service = service_type_for_new_mission(service_type_id)
    now = utcnow()
    client = Client(partner_id=partner.id, created_at=now, updated_at=now, **cleaned)
    db.session.add(client)
    if email_consent:
        add_consent(client, actor)
    mission = _pending_mission(client, actor, now, service, first_visit=True)
    _commit_or_roll_back(lambda: _counted_and_announced(mission, actor, count_registration))
    if email_consent:
        record_panel_change(client.id, actor, True)
    return client, mission


def open_mission(client_id: str, actor: User, *, service_type_id: int | None = None) -> Mission:
    """Open a new pending mission for an existing client ``actor`` may see: a returning
    visitor gets another mission, not a second client record.

    Another partner's client (or an unknown id) is ``ClientNotFound``, as everywhere; support
    staff, who only read, get ``NotAllowed``. The service type is as for a registration.
    """
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_missions")
    client = visible_client(client_id, actor)
    service = service_type_for_new_mission(service_type_id)
    first_visit = is_first_visit(client.id)
    mission = _pending_mission(client, actor, utcnow(), service, first_visit=first_visit)
    _commit_or_roll_back(lambda: _counted_and_announced(mission, actor, count_new_mission))
    return mission


def _counted_and_announced(mission: Mission, actor: User, count: Callable[[int], None]) -> None:
    """Adjust the shop's totals (``count``) and the day's roll-up, and say what opening the
    mission tells."""
    count(mission.partner_id)
    count_opened(mission)
    announce_new_mission(mission, actor, shop_id_of(actor))


def _pending_mission(
    client: Client, actor: User, now: datetime, service: ServiceType | None, *, first_visit: bool
) -> Mission:
    """A new pending mission of ``client`` with its creation event and the service type's
    current price, added to the session; ``first_visit`` when the client has no other."""
    mission = Mission(
        client=client,
        partner_id=client.partner_id,
        status=MissionStatus.PENDING,
        created_at=now,
        updated_at=now,
        first_visit=first_visit,
    )
    apply_service_type(mission, service)
    creation = MissionEvent(
        mission=mission, actor_id=actor.id, to_status=MissionStatus.PENDING, at=now
    )
    db.session.add_all([mission, creation])
    return mission


def _commit_or_roll_back(count: Callable[[], None]) -> None:
    """Adjust the totals and write what follows (``count``) and commit with the rows, or roll
    all back."""
    try:
        count()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def start_mission(mission_id: str, actor: User) -> MissionStatus:
    return apply_transition(mission_id, actor, "start")


def complete_mission(mission_id: str, actor: User) -> MissionStatus:
    return apply_transition(mission_id, actor, "complete")


def cancel_mission(
    mission_id: str, actor: User, reason: object, note: object = None
) -> MissionStatus:
    return apply_transition(mission_id, actor, "cancel", reason=reason, note=note)


#: The time column that the transition into each status sets (a status has one at most).
ENTERED_AT = {
    MissionStatus.IN_PROGRESS: "started_at",
    MissionStatus.COMPLETED: "completed_at",
    MissionStatus.CANCELLED: "cancelled_at",
}


def apply_transition(
    mission_id: str,
    actor: User,
    action: str,
    *,
    reason: object = None,
    note: object = None,
    expected_version: int | None = None,
) -> MissionStatus:
    """Move a mission visible to ``actor`` by ``action``, as one conditional UPDATE; return
    the status it now has. Cancelling needs a ``reason`` (a ``CancelReason`` value) and takes
    an optional ``note``: both are kept on the mission and in its history.

    The UPDATE names the status that was read, so of two people acting at once exactly one
    wins; the other gets ``MissionChanged`` and the row keeps the winner's change. The row is
    not read again after the commit: its client may be deleted the next instant.

    ``expected_version`` is the version the caller read (the API's ``If-Match``): the UPDATE
    names it too, and a mission that no longer has it is ``EditConflict``, nothing written,
    whatever its status (the caller's premise is checked before the action).
    """
    step = transition(action)
    details = _checked_details(step, actor, reason, note)
    try:
        before = _move(mission_id, actor, step, details, expected_version)
    except DomainError:
        db.session.rollback()
        raise
    count_transition(mission_id, before.status, step.target)
    count_mission_change(mission_id, before)
    db.session.commit()
    return step.target


def cancel_missions(
    mission_ids: Iterable[str], actor: User, reason: object, note: object = None
) -> int:
    """Cancel every mission of ``mission_ids`` for one reason, or none of them; return how many.

    All in one transaction: if any is refused (not visible: ``MissionNotFound``, before
    anything is written; no longer cancellable, or changed meanwhile: ``BatchRefused`` naming
    each), nothing is written. Rows are locked in one order (missions by id, then the partners'
    totals by partner), so two batches that overlap wait for each other instead of deadlocking.
    """
    step = transition("cancel")
    details = _checked_details(step, actor, reason, note)
    owners = _visible_owners(set(mission_ids), actor)
    moved: dict[str, MissionFacts] = {}
    refusals: dict[str, DomainError] = {}
    try:
        for mission_id in sorted(owners):
            try:
                moved[mission_id] = _move(mission_id, actor, step, details)
            except (TransitionRefused, MissionChanged) as refusal:
                refusals[mission_id] = refusal
        if refusals:
            raise BatchRefused(refusals)
    except DomainError:
        db.session.rollback()
        raise
    for mission_id in sorted(moved, key=lambda key: (owners[key], key)):
        count_transition(mission_id, moved[mission_id].status, step.target)
    for mission_id in sorted(moved, key=lambda key: (owners[key], key)):
        count_mission_change(mission_id, moved[mission_id])
    db.session.commit()
    return len(moved)


def _visible_owners(mission_ids: set[str], actor: User) -> dict[str, int]:
    """Each mission's partner, for missions all visible to ``actor``; ``MissionNotFound`` (and
    the refusal recorded) for the first one that is not."""
    valid = {mission_id for mission_id in mission_ids if is_row_id(mission_id)}
    rows = db.session.execute(
        select(Mission.id, Mission.partner_id).where(
            Mission.id.in_(valid), scope_filter(Mission, actor)
        )
    )
    owners = {mission_id: partner_id for mission_id, partner_id in rows}
    for mission_id in sorted(mission_ids - owners.keys()):
        current_status(mission_id, actor)  # raises, and records a real row's refusal
    return owners


def _checked_details(step: Transition, actor: User, reason: object, note: object) -> dict:
    """What the step records beyond its status, checked before anything is read: a
    cancellation's reason and words (``{"reason": ..., "note": ...}``); nothing for others."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_missions")
    if step.target is not MissionStatus.CANCELLED:
        return {}
    return {"reason": clean_cancel_reason(reason), "note": clean_notes(note, "note")}


def _move(
    mission_id: str,
    actor: User,
    step: Transition,
    details: dict,
    expected_version: int | None = None,
) -> MissionFacts:
    """The conditional UPDATE and the history entry, uncommitted; what the mission was before
    (the caller adjusts the totals and the roll-ups). The UPDATE names the status read and,
    when given, ``expected_version``: a row changed meanwhile is not written."""
    before = current_facts(mission_id, actor)
    current = before.status
    if current not in step.sources:
        _refuse_other_version(mission_id, expected_version)
        raise TransitionRefused(step.name, current)
    target = step.target
    now = utcnow()
    values: dict[str, Any] = {"status": target, "updated_at": now, "version": Mission.version + 1}
    if target in ENTERED_AT:
        values[ENTERED_AT[target]] = now
    values.update({f"cancel_{name}": value for name, value in details.items()})
    unchanged = [Mission.id == mission_id, Mission.status == current]
    if expected_version is not None:
        unchanged.append(Mission.version == expected_version)
    result = db.session.execute(
        update(Mission)
        .where(*unchanged)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse_other_version(mission_id, expected_version)
        raise MissionChanged(step.name, current, _status_or_none(mission_id))
    db.session.add(
        MissionEvent(
            mission_id=mission_id,
            actor_id=actor.id,
            from_status=current,
            to_status=target,
            at=now,
            **details,
        )
    )
    queue_mission_message(mission_id, target)
    return before


def visible_mission(mission_id: str, user: User) -> Mission:
    """The mission ``mission_id`` if ``user`` may see it; ``MissionNotFound`` otherwise."""
    return visible_row(Mission, mission_id, user)


def partner_to_register_for(actor: User, partner_id: int | None) -> User:
    """The shop a registration by ``actor`` goes to: a shop's partner or staff its own shop
    (whatever is named), an admin the partner it names (``partner_id``, required)."""
    shop = shop_of(actor)
    if shop is not None and not sees_all_partners(actor):
        return shop
    partner = db.session.get(User, partner_id) if partner_id is not None else None
    if partner is None or not is_partner(partner):
        code = "required" if partner_id is None else "not_active_partner"
        raise ValidationError({"partner_id": FieldProblem(code)})
    return partner


def current_status(mission_id: str, user: User) -> MissionStatus:
    """The status of a mission visible to ``user``; ``MissionNotFound`` for any other id."""
    return current_facts(mission_id, user).status


def current_facts(mission_id: str, user: User) -> MissionFacts:
    """What a mission visible to ``user`` is now (its status, times, type, price: what the
    reports count); ``MissionNotFound`` for any other id."""
    if not is_row_id(mission_id):
        raise MissionNotFound(mission_id)
    row = db.session.execute(
        select(*FACT_COLUMNS).where(Mission.id == mission_id, scope_filter(Mission, user))
    ).one_or_none()
    if row is None:
        record_refused_access(Mission, mission_id, user)
        raise MissionNotFound(mission_id)
    return MissionFacts(*row)


def mission_history(mission_id: str, user: User) -> list[MissionEvent | MissionMerge]:
    """The events of a mission visible to ``user`` (status changes and the merges that moved
    it to another client), oldest first."""
    current_status(mission_id, user)
    events = select(MissionEvent).where(MissionEvent.mission_id == mission_id)
    merges = select(MissionMerge).where(MissionMerge.mission_id == mission_id)
    history: list[MissionEvent | MissionMerge] = [
        *db.session.scalars(events.order_by(MissionEvent.at, MissionEvent.id)),
        *db.session.scalars(merges.order_by(MissionMerge.at, MissionMerge.id)),
    ]
    return sorted(history, key=lambda entry: entry.at)


def _refuse_other_version(mission_id: str, expected_version: int | None) -> None:
    """``EditConflict`` when the caller named a version the mission no longer has (or the
    mission is gone)."""
    if expected_version is None:
        return
    version = db.session.scalar(select(Mission.version).where(Mission.id == mission_id))
    if version != expected_version:
        raise EditConflict(Mission.__tablename__, mission_id)


def _status_or_none(mission_id: str) -> MissionStatus | None:
    return db.session.scalar(select(Mission.status).where(Mission.id == mission_id))
