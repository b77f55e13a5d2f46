"""The mission actions: one entry each holds its rule (DESIGN.md's transition table) and every
word it is shown with (panel buttons, confirmations, messages; the command line's English), so
adding an action is one entry here. A name not in the table is a programming error
(``UnknownAction``), never mistaken for another action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from ..data.models import MissionStatus


class UnknownAction(ValueError):
    """A mission action that the table does not hold."""


@dataclass(frozen=True)
class Transition:
    """A mission action.

    ``sources``: the statuses it may start from; ``target``: the status it leads to.
    ``button``: the row button and batch action; ``tone``: the button's colour (``primary``,
    ``success``, ``danger``); ``batch_question``: the batch action's confirmation (none for a step
    confirmed on a page of its own); ``done``: "N missions started", in words that agree with
    N; ``refused_because``: why it is refused, for each status it cannot start from;
    ``cli_done``: the command line's word for it done; ``asks_reason``: the step needs a reason
    (``CancelReason``), asked on a form of its own (the cancel page) before anything is done.
    """

    name: str
    sources: frozenset[MissionStatus]
    target: MissionStatus
    button: LazyString
    tone: Literal["primary", "success", "danger"]
    batch_question: LazyString | None
    done: Callable[[int], str]
    refused_because: Mapping[MissionStatus, LazyString]
    cli_done: str
    asks_reason: bool = False

    def __post_init__(self) -> None:
        unexplained = set(MissionStatus) - self.sources - set(self.refused_because)
        if unexplained:
            names = ", ".join(sorted(unexplained))
            raise ValueError(f"{self.name}: no refusal reason for {names}")


def _table(*transitions: Transition) -> dict[str, Transition]:
    return {transition.name: transition for transition in transitions}


ALREADY_COMPLETED = _l("already completed")
ALREADY_CANCELLED = _l("already cancelled")

TRANSITIONS: dict[str, Transition] = _table(
    Transition(
        name="start",
        sources=frozenset({MissionStatus.PENDING}),
        target=MissionStatus.IN_PROGRESS,
        button=_l("Start"),
        tone="primary",
        batch_question=_l("Start the selected missions?"),
        done=lambda num: ngettext("%(num)d mission started", "%(num)d missions started", num),
        refused_because={
            MissionStatus.IN_PROGRESS: _l("already in progress"),
            MissionStatus.COMPLETED: ALREADY_COMPLETED,
            MissionStatus.CANCELLED: ALREADY_CANCELLED,
        },
        cli_done="started",
    ),
    Transition(
        name="complete",
        sources=frozenset({MissionStatus.IN_PROGRESS}),
        target=MissionStatus.COMPLETED,
        button=_l("Complete"),
        tone="success",
        batch_question=_l("Complete the selected missions?"),
        done=lambda num: ngettext("%(num)d mission completed", "%(num)d missions completed", num),
        refused_because={
            MissionStatus.PENDING: _l("still pending"),
            MissionStatus.COMPLETED: ALREADY_COMPLETED,
            MissionStatus.CANCELLED: ALREADY_CANCELLED,
        },
        cli_done="completed",
    ),
    Transition(
        name="cancel",
        sources=frozenset({MissionStatus.PENDING, MissionStatus.IN_PROGRESS}),
        target=MissionStatus.CANCELLED,
        button=_l("Cancel"),
        tone="danger",
        batch_question=None,
        done=lambda num: ngettext("%(num)d mission cancelled", "%(num)d missions cancelled", num),
        refused_because={
            MissionStatus.COMPLETED: ALREADY_COMPLETED,
            MissionStatus.CANCELLED: ALREADY_CANCELLED,
        },
        cli_done="cancelled",
        asks_reason=True,
    ),
)


def transition(name: str) -> Transition:
    """The action called ``name``; ``UnknownAction`` for any other name."""
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise UnknownAction(f"unknown mission action: {name}") from None


def available_actions(status: MissionStatus) -> list[str]:
    """The actions DESIGN.md allows from ``status``, in button order."""
    return [name for name, step in TRANSITIONS.items() if status in step.sources]
