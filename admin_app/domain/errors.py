"""Errors of the domain rules. They carry data, not HTTP and not words: each has a stable
``code`` and the ``params`` its message needs. Faces turn them into words: the panel translates
the code (``admin/messages.py``), the command line prints the English written here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..data.models import MissionStatus

#: What can be wrong with one field, by code, in English (the command line's words).
FIELD_PROBLEMS: dict[str, str] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "not_text": "must be text",
    "control_characters": "must not contain control characters",
    "name_characters": "may contain only letters, spaces, hyphens, apostrophes and dots",
    "needs_letter": "must contain a letter",
    "postal_code_characters": "may contain only letters, digits, spaces and hyphens",
    "invalid_email": "not a valid address",
    "invalid_phone": "not a valid phone number",
    "not_active_partner": "not an active partner account",
    "email_taken": "already used by another account",
    "partner_and_support": "partner and support cannot be combined",
    "staff_alone": "staff cannot be combined with another role",
    "shop_has_staff": "this shop has staff accounts: it stays a partner",
    "staff_needs_shop": "a staff account needs a shop (a partner account)",
    "unknown_roles": "unknown roles: {roles}",
    "last_admin": "the last active admin must stay an active admin",
    "password_refused": "{reasons}",
    "unknown_service_type": "not a service type on offer",
    "invalid_currency": "must be a three-letter currency code (EUR, CHF...)",
    "price_range": "must be between 0 and {max}",
    "duration_range": "must be between 1 and {max} minutes",
    "not_a_choice": "not one of the choices",
    "shop_name_for_partners": "only a partner account (a shop) has a shop name",
    "file_empty": "the file is empty",
    "file_too_large": "the file is larger than {megabytes} MB",
    "file_type_refused": "not a JPEG, PNG or WebP image or a PDF document (read from its content)",
    "image_too_large": "the image has more than {megapixels} million pixels",
    "image_damaged": "the image is damaged or cut short",
    "pdf_damaged": "not a complete PDF document",
    "pdf_encrypted": "the PDF is encrypted, so it cannot be checked",
    "pdf_active_content": "the PDF holds active content ({features})",
    "invalid_date": "not a date (YYYY-MM-DD)",
    "date_order": "must not be before the first day",
    "date_out_of_range": "must be a day from {first} to {last}",
    "period_too_long": "a report covers at most {max} days",
    "too_many_lines": "must be at most {max} lines",
    "logo_type_refused": "not a PNG or JPEG image (read from its content)",
    "image_side_range": "each side must be between {min} and {max} pixels",
    "not_a_number": "must be a whole number",
    "not_a_boolean": "must be true or false",
    "unknown_field": "is not a field of this request",
    "not_an_object": "the body must be a JSON object",
    "number_range": "must be between {min} and {max}",
    "invalid_datetime": "not a date and time (ISO 8601: 2025-01-31T09:30:00+01:00)",
    "invalid_cursor": "not a cursor this list gave (send next_cursor as it came)",
}

#: What an account may be refused to do (``NotAllowed``), in English.
DOINGS: dict[str, str] = {
    "change_clients": "change clients",
    "change_missions": "change missions",
    "handle_personal_data": "handle personal data requests",
    "merge_clients": "merge clients",
    "manage_service_types": "manage service types",
    "manage_staff": "manage staff accounts",
    "read_notifications": "mark a shop's notifications read",
    "retry_messages": "retry failed messages",
    "issue_invoices": "issue invoices or credit notes",
    "edit_shop_profile": "edit a shop's profile",
    "manage_api_keys": "manage API keys",
}

#: Why two clients cannot be merged (``MergeRefused``), in English.
MERGE_REFUSALS: dict[str, str] = {
    "same_client": "a client cannot be merged into itself",
    "different_partners": "the clients belong to different partners",
    "invoiced_client": "the client merged away has invoices (merge the other one into it)",
}

#: Why an invoice or credit note was not issued (``InvoiceRefused``), in English.
INVOICE_REFUSALS: dict[str, str] = {
    "no_missions": "choose at least one mission",
    "not_completed": "mission {mission} is not completed",
    "other_client": "mission {mission} is not a mission of this client",
    "already_invoiced": "mission {mission} is already on invoice {reference}",
    "no_price": "mission {mission} has no price",
    "mixed_currencies": "the missions are priced in different currencies",
    "no_shop_profile": "the shop has no profile yet (who issues its invoices)",
    "not_an_invoice": "{reference} is a credit note: only an invoice can be credited",
    "already_credited": "invoice {reference} is already cancelled by credit note {credit}",
}


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field: a code of ``FIELD_PROBLEMS`` and the values its words
    need, e.g. ``FieldProblem("too_long", {"max": 100})``."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in FIELD_PROBLEMS:
            raise ValueError(f"unknown field problem: {self.code}")

    def __str__(self) -> str:
        return FIELD_PROBLEMS[self.code].format(**self.params)


class DomainError(Exception):
    """Base class of every refusal the domain rules make: ``code`` says which, ``params``
    hold its values (plain data: text, numbers, statuses), ``english`` is the message the
    command line prints, filled from ``english_values``."""

    code: ClassVar[str]
    english: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.english.format(**self.english_values()))

    def english_values(self) -> Mapping[str, Any]:
        return self.params


class ValidationError(DomainError):
    """Some fields are invalid; ``errors`` maps each field name to what is wrong with it."""

    code = "field_invalid"
    english = "{problems}"

    def __init__(self, errors: Mapping[str, FieldProblem]) -> None:
        self.errors = dict(errors)
        problems = "; ".join(f"{name}: {problem}" for name, problem in self.errors.items())
        super().__init__(problems=problems)


class NotAllowed(DomainError):
    """The user may see the row but not change it (support staff, a deactivated account);
    ``doing`` is a code of ``DOINGS``."""

    code = "not_allowed"
    english = "{account} may not {doing}"

    def __init__(self, account: object, doing: str) -> None:
        if doing not in DOINGS:
            raise ValueError(f"unknown refused doing: {doing}")
        self.doing = doing
        super().__init__(account=str(account), doing=doing)

    def english_values(self) -> Mapping[str, Any]:
        return {**self.params, "doing": DOINGS[self.doing]}


class NotFound(DomainError):
    """No row with this id exists for the acting user (it may exist for someone else)."""

    code = "not_found"
    english = "{kind} {id} not found"
    kind = "row"

    def __init__(self, row_id: str) -> None:
        self.row_id = row_id
        super().__init__(kind=self.kind, id=row_id)


class MissionNotFound(NotFound):
    kind = "mission"


class ClientNotFound(NotFound):
    kind = "client"


class StaffNotFound(NotFound):
    kind = "staff account"


class AttachmentNotFound(NotFound):
    kind = "attachment"


class NotificationNotFound(NotFound):
    kind = "notification"


class PartnerNotFound(NotFound):
    kind = "partner"


class InvoiceNotFound(NotFound):
    kind = "invoice"


class LogoNotFound(NotFound):
    kind = "logo"


class ApiKeyNotFound(NotFound):
    kind = "API key"


class TransitionRefused(DomainError):
    """The action is not allowed from the mission's current status."""

    code = "transition_refused"
    english = "cannot {action} this mission: it is {status.label}"

    def __init__(self, action: str, status: MissionStatus) -> None:
        self.action = action
        self.status = status
        super().__init__(action=action, status=status)


class MissionChanged(DomainError):
    """Someone else changed the mission between our read and our write; nothing was written.
    ``current`` is None when the mission was deleted meanwhile."""

    code = "mission_changed"
    english = "cannot {action} this mission: it was changed by someone else (was {was}, now {now})"

    def __init__(self, action: str, expected: MissionStatus, current: MissionStatus | None) -> None:
        self.action = action
        self.expected = expected
        self.current = current
        super().__init__(action=action, was=expected, now=current)

    def english_values(self) -> Mapping[str, Any]:
        now = self.current.label if self.current else "deleted"
        return {**self.params, "was": self.expected.label, "now": now}


class EditConflict(DomainError):
    """The row was saved by someone else after the editor loaded it; nothing was written."""

    code = "edit_conflict"
    english = "{kind} {id} was changed by someone else since it was loaded"

    def __init__(self, kind: str, row_id: str) -> None:
        self.kind = kind
        self.row_id = row_id
        super().__init__(kind=kind, id=row_id)


class MergeRefused(DomainError):
    """Two clients that cannot be merged; ``reason`` is a code of ``MERGE_REFUSALS``."""

    code = "merge_refused"
    english = "cannot merge these clients: {reason}"

    def __init__(self, reason: str) -> None:
        if reason not in MERGE_REFUSALS:
            raise ValueError(f"unknown merge refusal: {reason}")
        self.reason = reason
        super().__init__(reason=reason)

    def english_values(self) -> Mapping[str, Any]:
        return {"reason": MERGE_REFUSALS[self.reason]}


class ServiceTypeInUse(DomainError):
    """Missions have this service type: it cannot be deleted (it can be deactivated)."""

    code = "service_type_in_use"
    english = "service type {name} is used by missions: deactivate it instead"

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class BatchRefused(DomainError):
    """Some missions of an all-or-nothing batch were refused, so none was changed;
    ``refusals`` maps each refused mission's id to its own refusal."""

    code = "batch_refused"
    english = "nothing done: {count} refused ({reasons})"

    def __init__(self, refusals: Mapping[str, DomainError]) -> None:
        self.refusals = dict(refusals)
        reasons = "; ".join(f"{key}: {error}" for key, error in self.refusals.items())
        super().__init__(count=len(self.refusals), reasons=reasons)


class MessagesNotFailed(DomainError):
    """Some messages of a retry are not failed (any more: retried or sent meanwhile, or
    unknown), so none was retried; ``refused`` lists their ids."""

    code = "messages_not_failed"
    english = "nothing retried: {count} message(s) not failed ({ids})"

    def __init__(self, refused: list[str]) -> None:
        self.refused = list(refused)
        super().__init__(count=len(self.refused), ids=", ".join(self.refused))


class InvoiceRefused(DomainError):
    """An invoice or credit note that cannot be issued; ``reason`` is a code of
    ``INVOICE_REFUSALS``, ``params`` the values its words need (a mission's id, a reference)."""

    code = "invoice_refused"
    english = "cannot issue: {reason}"

    def __init__(self, reason: str, **values: Any) -> None:
        if reason not in INVOICE_REFUSALS:
            raise ValueError(f"unknown invoice refusal: {reason}")
        self.reason = reason
        super().__init__(reason=reason, **values)

    def english_values(self) -> Mapping[str, Any]:
        return {"reason": INVOICE_REFUSALS[self.reason].format(**self.params)}


class ClientHasInvoices(DomainError):
    """Invoices name this client: it is kept (the law keeps invoices), so it cannot be
    deleted; erasure anonymises it instead."""

    code = "client_has_invoices"
    english = "client {id} has {count} invoice(s): it cannot be deleted (erase it instead)"

    def __init__(self, client_id: str, count: int) -> None:
        super().__init__(id=client_id, count=count)


class IdempotencyKeyInvalid(DomainError):
    """An idempotency key that is empty, too long or not printable ASCII."""

    code = "idempotency_key_invalid"
    english = "an idempotency key is 1 to {max} printable ASCII characters"

    def __init__(self, max_length: int) -> None:
        super().__init__(max=max_length)


class IdempotencyKeyReused(DomainError):
    """An idempotency key already used for another request (another path or body) of the
    same API key: a key names one request."""

    code = "idempotency_key_reused"
    english = "this idempotency key was already used for another request: use a new key"


class IdempotencyKeyInFlight(DomainError):
    """The first request with this idempotency key is still running: its answer is not kept
    yet. ``retry_after`` is in seconds."""

    code = "idempotency_key_in_flight"
    english = "the first request with this idempotency key is still running: retry shortly"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(retry_after=retry_after)
