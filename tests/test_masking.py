"""Masked contact details (``domain/masking.py``): the masked forms of emails and phones, and
who sees them in full."""

from __future__ import annotations

import pytest

from admin_app.data.models import RoleName
from admin_app.domain.masking import mask_email, mask_phone, sees_contact_details


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.org", "a•••@example.org"),
        ("ab@b.co", "a•••@b.co"),
        ("a@b.co", "•••@b.co"),
        (
            "jean-baptiste.dupont-lefevre+counter@very-long-subdomain.example.co.uk",
            "j•••@very-long-subdomain.example.co.uk",
        ),
        ("élodie@exemple.fr", "é•••@exemple.fr"),
        ('"odd@local"@example.org', '"•••@example.org'),
        ("not-an-address", "•••"),
        ("@example.org", "•••"),
        ("", ""),
    ],
)
def test_mask_email_keeps_the_first_character_and_the_domain(email, masked):
    assert mask_email(email) == masked


def test_mask_email_hides_the_length_of_the_local_part():
    assert len(mask_email("al@example.org")) == len(mask_email("alexandra@example.org"))


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+33612345678", "+33 6•• •• •• 78"),
        ("+33123456789", "+33 1•• •• •• 89"),
        ("+447911123456", "+44 7••• ••••56"),
        ("+12025550123", "+1 2••-•••-••23"),
        ("+4915123456789", "+49 1••• •••••89"),
        ("+390212345678", "+39 0• •••• ••78"),
        ("+81312345678", "+81 3••••-••78"),
        ("+8613800138000", "+86 1•• •••• ••00"),
    ],
)
def test_mask_phone_keeps_the_country_code_first_and_last_two_digits_in_national_groups(
    phone, masked
):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+33123", "+33 1••"),
        ("0612345678", "•••78"),
        ("phone: 06 12 34 56 78", "•••78"),
        ("1234", "•••"),
        ("not a number", "•••"),
        ("", ""),
    ],
)
def test_mask_phone_of_short_or_unreadable_numbers_shows_no_more(phone, masked):
    assert mask_phone(phone) == masked


def test_a_masked_phone_never_holds_the_hidden_digits():
    masked = mask_phone("+33698765432")

    assert "98765" not in masked.replace(" ", "") and "•" in masked


@pytest.mark.parametrize(
    ("roles", "sees"),
    [
        ((RoleName.PARTNER,), True),
        ((RoleName.ADMIN,), True),
        ((RoleName.SUPPORT,), False),
        ((RoleName.ADMIN, RoleName.SUPPORT), True),
        ((RoleName.PARTNER, RoleName.SUPPORT), False),
        ((), True),
    ],
)
def test_only_support_staff_see_contact_details_masked(make_user, roles, sees):
    assert sees_contact_details(make_user(*roles)) is sees


def test_staff_see_their_shops_contact_details_in_full(ctx, make_account):
    from admin_app.data.models import User
    from admin_app.extensions import db

    shop = make_account(RoleName.PARTNER)
    staff = db.session.get_one(User, make_account(RoleName.STAFF, shop=shop).id)

    assert sees_contact_details(staff) is True


def test_an_inactive_or_missing_account_sees_contact_details_masked(make_user):
    assert sees_contact_details(make_user(RoleName.PARTNER, active=False)) is False
    assert sees_contact_details(None) is False
