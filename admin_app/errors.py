"""Errors of the domain rules. They carry data, not HTTP: views turn them into messages."""

from __future__ import annotations

from collections.abc import Mapping

from .models import MissionStatus


class DomainError(Exception):
    """Base class of every refusal the domain rules make."""


class ValidationError(DomainError):
    """Some fields are invalid; ``errors`` maps each field name to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in self.errors.items()))


class NotAllowed(DomainError):
    """The user may see the row but not change it (support staff, a deactivated account)."""


class NotFound(DomainError):
    """No row with this id exists for the acting user (it may exist for someone else)."""

    kind = "row"

    def __init__(self, row_id: str) -> None:
        self.row_id = row_id
        super().__init__(f"{self.kind} {row_id} not found")


class MissionNotFound(NotFound):
    kind = "mission"


class ClientNotFound(NotFound):
    kind = "client"


class TransitionRefused(DomainError):
    """The action is not allowed from the mission's current status."""

    def __init__(self, action: str, status: MissionStatus) -> None:
        self.action = action
        self.status = status
        super().__init__(f"cannot {action} this mission: it is {status.label}")


class MissionChanged(DomainError):
    """Someone else changed the mission between our read and our write; nothing was written."""

    def __init__(self, action: str, expected: MissionStatus, current: MissionStatus | None) -> None:
        self.action = action
        self.expected = expected
        self.current = current
        now = current.label if current else "deleted"
        super().__init__(
            f"cannot {action} this mission: it was changed by someone else "
            f"(was {expected.label}, now {now})"
        )


class EditConflict(DomainError):
    """The row was saved by someone else after the editor loaded it; nothing was written."""

    def __init__(self, kind: str, row_id: str) -> None:
        self.kind = kind
        self.row_id = row_id
        super().__init__(f"{kind} {row_id} was changed by someone else since it was loaded")
