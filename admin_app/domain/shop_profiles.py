"""A shop's profile: who issues its invoices (legal name, address, VAT number, footer, logo).

The shop's partner and admins edit it, its staff and support read it (``scoping``). A save
carries the version the editor read: a profile saved by someone else since is refused with
``EditConflict`` and nothing is written. A logo is a PNG or JPEG read from its bytes,
re-encoded from its pixels (``file_checks``) and stored as a new ``ShopLogo`` row that is never
changed: an invoice issued with an older logo keeps showing it. Nothing here knows HTTP.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..config import megabytes
from ..data.db_types import utcnow
from ..data.invoicing import ShopLogo, ShopProfile
from ..data.models import Role, RoleName, User, is_row_id
from ..extensions import db
from ..platform.audit import record, record_refused_access
from .errors import (
    EditConflict,
    FieldProblem,
    LogoNotFound,
    NotAllowed,
    PartnerNotFound,
    ValidationError,
)
from .file_checks import JPEG, PNG, CheckedFile, ImageFormat, image_format_of, reencode_image
from .scoping import may_edit_shop_profile, scope_filter, sees_all_partners, shop_id_of
from .validation import FieldError, single_line_text

#: The longest each field may be, in characters.
MAX_LENGTHS = {"legal_name": 200, "address": 500, "vat_number": 32, "invoice_footer": 1000}
TEXT_FIELDS = tuple(MAX_LENGTHS)
MAX_ADDRESS_LINES = 6
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MIN_SIDE = 16
LOGO_MAX_SIDE = 2000
LOGO_FORMATS = (PNG, JPEG)


@dataclass(frozen=True)
class ProfileInput:
    """What the editor sent: the text fields as typed, the version read, the logo's bytes
    (``None``: no file chosen) and whether to remove the current logo."""

    fields: Mapping[str, object]
    expected_version: int
    logo: bytes | None = None
    remove_logo: bool = False


def readable_shop(user: User, partner_id: int | None) -> int:
    """The partner id of the shop whose profile ``user`` reads: a shop's partner and staff
    their own shop (``partner_id`` may only name it), admins and support the partner they
    name. ``PartnerNotFound`` for any other id, or none named by admins and support."""
    if sees_all_partners(user):
        named = (
            select(User.id)
            .join(User.roles)
            .where(User.id == partner_id, Role.name == RoleName.PARTNER.value)
        )
        if partner_id is not None and db.session.scalar(named) is not None:
            return partner_id
    else:
        own = shop_id_of(user)
        if own is not None and partner_id in (None, own):
            return own
    raise PartnerNotFound(str(partner_id))


def saved_profile(shop_id: int) -> ShopProfile | None:
    """The profile of a shop (an id ``readable_shop`` gave); None before its first save. Its
    logo's bytes are not loaded."""
    return db.session.get(ShopProfile, shop_id)


def save_shop_profile(actor: User, partner_id: int | None, given: ProfileInput) -> ShopProfile:
    """Validate and save the profile of a shop ``actor`` may edit, all or nothing.

    ``PartnerNotFound`` for a shop the actor may not read (before anything else),
    ``NotAllowed`` for one it only reads, ``ValidationError`` naming each wrong field,
    ``EditConflict`` when the profile changed since ``given.expected_version`` was read (0:
    there was none yet)."""
    shop_id = readable_shop(actor, partner_id)
    if not may_edit_shop_profile(actor, shop_id):
        raise NotAllowed(actor, "edit_shop_profile")
    profile = db.session.get(ShopProfile, shop_id)
    current_version = profile.version if profile is not None else 0
    if given.expected_version != current_version:
        raise EditConflict(ShopProfile.__tablename__, str(shop_id))
    cleaned, logo = checked_input(given)
    if profile is None:
        profile = ShopProfile(partner_id=shop_id)
        db.session.add(profile)
    changed = [name for name, value in cleaned.items() if getattr(profile, name) != value]
    for name, value in cleaned.items():
        setattr(profile, name, value)
    changed += replace_logo(profile, logo, given.remove_logo)
    profile.updated_at = utcnow()
    commit_or_conflict(shop_id)
    audit_update(actor, shop_id, changed)
    return profile


def checked_input(given: ProfileInput) -> tuple[dict[str, str | None], CheckedFile | None]:
    """The cleaned text fields and the re-encoded logo, or one ``ValidationError`` naming
    every wrong field."""
    cleaned: dict[str, str | None] = {}
    errors: dict[str, FieldProblem] = {}
    for name in TEXT_FIELDS:
        try:
            cleaned[name] = clean_profile_field(name, given.fields.get(name))
        except FieldError as error:
            errors[name] = error.problem
    logo = None
    if given.logo:
        try:
            logo = checked_logo(given.logo)
        except FieldError as error:
            errors["logo"] = error.problem
    if errors:
        raise ValidationError(errors)
    return cleaned, logo


def clean_profile_field(name: str, raw: object) -> str | None:
    """One text field: the legal name and VAT number on one line (the VAT number upper-cased),
    the address and footer on several; required and length checks."""
    text = multi_line_text(raw) if name in ("address", "invoice_footer") else single_line_text(raw)
    if name == "vat_number":
        text = text.upper()
    if not text:
        if name in ("legal_name", "address"):
            raise FieldError("required")
        return None
    if len(text) > MAX_LENGTHS[name]:
        raise FieldError("too_long", max=MAX_LENGTHS[name])
    if name == "address" and len(text.split("\n")) > MAX_ADDRESS_LINES:
        raise FieldError("too_many_lines", max=MAX_ADDRESS_LINES)
    return text


def multi_line_text(raw: object) -> str:
    """Trimmed NFC text with ``\\n`` line breaks, each line trimmed at its end; tabs and other
    control characters are refused."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FieldError("not_text")
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    if any(unicodedata.category(char) in ("Cc", "Cs") and char != "\n" for char in text):
        raise FieldError("control_characters")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def checked_logo(data: bytes) -> CheckedFile:
    """A PNG or JPEG (read from its bytes) of at most ``LOGO_MAX_BYTES``, each side between
    ``LOGO_MIN_SIDE`` and ``LOGO_MAX_SIDE`` pixels, re-encoded from its pixels alone."""
    if len(data) > LOGO_MAX_BYTES:
        raise FieldError("file_too_large", megabytes=megabytes(LOGO_MAX_BYTES))
    image_format = image_format_of(data)
    if image_format not in LOGO_FORMATS:
        raise FieldError("logo_type_refused")
    check_sides(data, image_format)
    try:
        return reencode_image(data, image_format, LOGO_MAX_SIDE * LOGO_MAX_SIDE)
    except ValidationError as error:
        problem = next(iter(error.errors.values()))
        raise FieldError(problem.code, **problem.params) from None


def check_sides(data: bytes, image_format: ImageFormat) -> None:
    """The header's width and height, read before any pixel is decoded."""
    try:
        with Image.open(io.BytesIO(data), formats=[image_format.pillow]) as image:
            sides = image.size
    except (OSError, SyntaxError, ValueError, EOFError):
        raise FieldError("image_damaged") from None
    if not all(LOGO_MIN_SIDE <= side <= LOGO_MAX_SIDE for side in sides):
        raise FieldError("image_side_range", min=LOGO_MIN_SIDE, max=LOGO_MAX_SIDE)


def replace_logo(profile: ShopProfile, logo: CheckedFile | None, remove: bool) -> list[str]:
    """A new logo row for an upload (the old one stays for the invoices that show it), or no
    logo when asked to remove it; the changed field's name, if any."""
    if logo is not None:
        # Through the relationship: the logo row is inserted first, the profile written once.
        profile.logo = ShopLogo(
            partner_id=profile.partner_id, media_type=logo.media_type, content=logo.data
        )
        return ["logo"]
    if remove and profile.logo_id is not None:
        profile.logo_id = None
        return ["logo"]
    return []


def commit_or_conflict(shop_id: int) -> None:
    """Commit; a save that raced another (an update of the same version, or a second first
    save) is a conflict and nothing is written."""
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise EditConflict(ShopProfile.__tablename__, str(shop_id)) from error


def audit_update(actor: User, shop_id: int, changed: list[str]) -> None:
    details: dict[str, object] = {"changed": changed}
    if actor.id != shop_id:
        partner = db.session.get(User, shop_id)
        details["email"] = partner.email if partner is not None else None
    record("shop_profile.update", target=f"shop_profile:{shop_id}", details=details, actor=actor)


def shop_logo(user: User, logo_id: str) -> ShopLogo:
    """A logo of a shop ``user`` reads (an older one too: invoices show it); ``LogoNotFound``
    for any other, another shop's included."""
    row = None
    if is_row_id(logo_id):
        row = db.session.scalar(
            select(ShopLogo).where(ShopLogo.id == logo_id, scope_filter(ShopLogo, user))
        )
    if row is None:
        record_refused_access(ShopLogo, logo_id, user)
        raise LogoNotFound(logo_id)
    return row
