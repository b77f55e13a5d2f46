"""The shop profile page (issue 18): a partner and admins edit who issues a shop's invoices,
staff and support read it; every wrong field is named at its field with the rest kept and
nothing saved; a logo is a PNG or JPEG read from its bytes and stored re-encoded; a stale form
never overwrites a newer save; another shop's profile and logo answer 404; an invoice keeps
the seller it was issued with."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from admin_app.data.invoicing import Invoice, ShopLogo, ShopProfile
from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.domain.invoices import issue_invoice
from admin_app.extensions import db
from tests.attachment_files import jpeg_with_gps, png_bytes, png_with_text
from tests.conftest import log_in, post_with_csrf, session_csrf_token
from tests.invoice_support import add_profile, completed_client
from tests.test_query_counts import counted_queries

URL = "/admin/shop-profile/"
FIELDS = {
    "legal_name": "Atelier Ève SARL",
    "address": "1 rue de la Paix\n75002 Paris",
    "vat_number": "  fr12345678901 ",
    "invoice_footer": "Payable on receipt.",
    "version": "0",
}


def jpeg_bytes(size: tuple[int, int] = (120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format="JPEG")
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, format="GIF")
    return out.getvalue()


def post_profile(client, url: str = URL, logo: tuple[bytes, str] | None = None, **changes):
    """The form as a browser posts it (multipart, CSRF token), with an optional logo file."""
    data: dict[str, object] = {**FIELDS, **changes, "csrf_token": session_csrf_token(client)}
    if logo is not None:
        data["logo"] = FileStorage(io.BytesIO(logo[0]), logo[1], "logo", "image/png")
    # Built in memory: the test client would spool a large body to a file it never closes.
    body, _, boundary = stream_encode_multipart(MultiDict(data), use_tempfile=False)
    return client.post(
        url, data=body.getvalue(), content_type=f"multipart/form-data; boundary={boundary}"
    )


def profile_of(app, partner_id: int) -> ShopProfile | None:
    with app.app_context():
        profile = db.session.get(ShopProfile, partner_id)
        if profile is not None:
            db.session.expunge(profile)
        return profile


def logo_of(app, partner_id: int) -> ShopLogo | None:
    with app.app_context():
        profile = db.session.get(ShopProfile, partner_id)
        logo = profile.logo if profile is not None else None
        if logo is not None:
            db.session.expunge(logo)
        return logo


def field_group(page: str, name: str) -> str:
    """The form group of the field ``name``: its input, its errors, its help."""
    groups = [group for group in page.split('<div class="form-group') if f'id="{name}"' in group]
    assert len(groups) == 1, name
    return groups[0]


def test_a_partner_saves_the_profile_and_reads_it_back(app, client, world):
    log_in(client, world.partner_a)
    assert "no-profile" not in client.get(URL).get_data(as_text=True)

    response = post_profile(client)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The shop profile is saved." in page
    assert "Atelier Ève SARL" in page and "1 rue de la Paix\n75002 Paris" in page
    assert 'value="FR12345678901"' in page
    profile = profile_of(app, world.partner_a.id)
    assert (profile.legal_name, profile.vat_number) == ("Atelier Ève SARL", "FR12345678901")
    assert profile.address == "1 rue de la Paix\n75002 Paris" and profile.version == 1
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "shop_profile.update")
        ).one()
        assert event.actor_email == world.partner_a.email
        assert event.target == f"shop_profile:{world.partner_a.id}"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("legal_name", "", "This field is required."),
        ("legal_name", "N" * 201, "At most 200 characters."),
        ("address", "", "This field is required."),
        ("address", "A" * 501, "At most 500 characters."),
        ("address", "\n".join(f"line {n}" for n in range(7)), "At most 6 lines."),
        ("vat_number", "FR" + "1" * 31, "At most 32 characters."),
        ("invoice_footer", "F" * 1001, "At most 1000 characters."),
    ],
)
def test_a_wrong_field_is_named_at_the_field_with_the_rest_kept_and_nothing_saved(
    app, client, world, field, value, words
):
    log_in(client, world.partner_a)

    page = post_profile(client, **{field: value}).get_data(as_text=True)

    group = field_group(page, field)
    assert "is-invalid" in group and words in group
    others = [name for name in ("legal_name", "address", "invoice_footer") if name != field]
    for name in others:
        assert FIELDS[name] in page, name
        assert "invalid-feedback" not in field_group(page, name)
    assert profile_of(app, world.partner_a.id) is None


@pytest.mark.parametrize(
    ("data", "name", "media_type", "pillow"),
    [
        (png_with_text("made by SecretCam"), "logo.png", "image/png", "PNG"),
        (jpeg_with_gps(), "logo.jpg", "image/jpeg", "JPEG"),
        (png_with_text("made by SecretCam"), "logo.jpg", "image/png", "PNG"),
    ],
)
def test_a_png_or_jpeg_logo_is_stored_re_encoded_and_served_as_stored(
    app, client, world, data, name, media_type, pillow
):
    log_in(client, world.partner_a)

    assert post_profile(client, logo=(data, name)).status_code == 302

    logo = logo_of(app, world.partner_a.id)
    assert logo.media_type == media_type and logo.content != data
    assert b"SecretCam" in data and b"SecretCam" not in logo.content
    with Image.open(io.BytesIO(logo.content)) as image:
        assert image.format == pillow and image.size == Image.open(io.BytesIO(data)).size
    page = client.get(URL).get_data(as_text=True)
    assert f"/admin/shop-profile/logo/{logo.id}" in page
    served = client.get(f"/admin/shop-profile/logo/{logo.id}")
    assert served.status_code == 200 and served.data == logo.content
    assert served.mimetype == media_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (gif_bytes(), "logo.gif", "Only PNG and JPEG images are accepted"),
        (gif_bytes(), "logo.png", "Only PNG and JPEG images are accepted"),
        (b"just some text, not a picture", "logo.png", "Only PNG and JPEG images are accepted"),
        (png_bytes((200, 200)) + b"\0" * (2 * 1024 * 1024), "logo.png", "larger than 1 MB"),
        (png_bytes((10, 10)), "logo.png", "between 16 and 2000 pixels"),
        (png_bytes((2001, 20)), "logo.png", "between 16 and 2000 pixels"),
        (png_bytes((300, 100))[:60], "logo.png", "damaged or cut short"),
    ],
)
def test_a_refused_logo_is_named_at_its_field_and_nothing_is_saved(
    app, client, world, data, name, words
):
    log_in(client, world.partner_a)

    page = post_profile(client, logo=(data, name)).get_data(as_text=True)

    group = field_group(page, "logo")
    assert "is-invalid" in group and words in group
    assert FIELDS["legal_name"] in page
    assert profile_of(app, world.partner_a.id) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShopLogo)) == 0


def test_a_new_logo_is_a_new_row_and_removing_it_keeps_the_old_rows(app, client, world):
    log_in(client, world.partner_a)
    post_profile(client, logo=(png_bytes((100, 50), "red"), "a.png"))
    first = logo_of(app, world.partner_a.id)

    post_profile(client, logo=(png_bytes((100, 50), "blue"), "b.png"), version="1")
    second = logo_of(app, world.partner_a.id)
    page = post_profile(client, version="2", remove_logo="y")

    assert page.status_code == 302 and first.id != second.id
    assert profile_of(app, world.partner_a.id).logo_id is None
    assert client.get(f"/admin/shop-profile/logo/{first.id}").status_code == 200
    assert "current-logo" not in client.get(URL).get_data(as_text=True)


def test_an_admin_edits_any_shop_s_profile(app, client, world):
    log_in(client, world.admin)
    assert "choose-partner" in client.get(URL).get_data(as_text=True)

    response = post_profile(client, f"{URL}?partner={world.partner_b.id}", legal_name="B SAS")

    assert response.status_code == 302
    assert profile_of(app, world.partner_b.id).legal_name == "B SAS"
    assert profile_of(app, world.partner_a.id) is None
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "shop_profile.update")
        ).one()
        assert event.account_email == world.partner_b.email


@pytest.mark.parametrize("who", ["staff_a", "support"])
def test_staff_and_support_read_the_profile_but_may_not_change_it(app, client, world, who):
    with app.app_context():
        add_profile(world.partner_a.id, "Atelier A")
    log_in(client, getattr(world, who))
    url = f"{URL}?partner={world.partner_a.id}"

    page = client.get(url).get_data(as_text=True)
    response = post_profile(client, url, legal_name="Changed", version="1")

    assert "Atelier A" in page and "shop-profile-form" not in page
    assert response.status_code == 403
    assert profile_of(app, world.partner_a.id).legal_name == "Atelier A"


def test_another_partner_gets_404_on_a_shop_s_profile_and_logo(app, client, world):
    owner = app.test_client()
    log_in(owner, world.partner_a)
    post_profile(owner, logo=(png_bytes(), "logo.png"))
    logo = logo_of(app, world.partner_a.id)
    log_in(client, world.partner_b)

    assert client.get(f"{URL}?partner={world.partner_a.id}").status_code == 404
    assert (
        post_profile(client, f"{URL}?partner={world.partner_a.id}", version="1").status_code == 404
    )
    assert client.get(f"/admin/shop-profile/logo/{logo.id}").status_code == 404
    assert client.get("/admin/shop-profile/logo/not-an-id").status_code == 404
    assert profile_of(app, world.partner_a.id).version == 1
    assert "Atelier" not in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize("partner", ["999999", "{support}"])
def test_an_admin_naming_no_partner_account_gets_404(client, world, partner):
    log_in(client, world.admin)

    url = f"{URL}?partner={partner.format(support=world.support.id)}"

    assert client.get(url).status_code == 404
    assert post_profile(client, url).status_code == 404


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_save_without_a_valid_csrf_token_changes_nothing(app, client, world, token):
    log_in(client, world.partner_a)
    data = dict(FIELDS) if token is None else {**FIELDS, "csrf_token": token}

    response = client.post(URL, data=data)

    assert response.status_code == 400
    assert profile_of(app, world.partner_a.id) is None


def test_a_stale_form_is_refused_and_the_newer_save_stays(app, client, world):
    log_in(client, world.partner_a)
    post_profile(client)
    admin = app.test_client()
    log_in(admin, world.admin)
    post_profile(admin, f"{URL}?partner={world.partner_a.id}", legal_name="Admin's", version="1")

    page = post_profile(client, legal_name="Mine", version="1").get_data(as_text=True)

    assert "Someone else saved this shop profile after you opened it" in page
    assert 'value="Mine"' in page
    profile = profile_of(app, world.partner_a.id)
    assert (profile.legal_name, profile.version) == ("Admin's", 2)


def test_a_first_save_from_a_form_read_before_another_first_save_is_refused(app, client, world):
    with app.app_context():
        add_profile(world.partner_a.id, "Saved first")
    log_in(client, world.partner_a)

    page = post_profile(client, legal_name="Second", version="0").get_data(as_text=True)

    assert "Someone else saved this shop profile" in page
    assert profile_of(app, world.partner_a.id).legal_name == "Saved first"


def test_an_issued_invoice_keeps_the_seller_and_logo_it_was_issued_with(app, client, world):
    log_in(client, world.partner_a)
    post_profile(client, legal_name="Old Name SARL", logo=(png_bytes(), "old.png"))
    old_logo = logo_of(app, world.partner_a.id)
    with app.app_context():
        client_id, mission_id = completed_client(world.partner_a.id, "Ivy")
        partner = db.session.get_one(User, world.partner_a.id)
        invoice_id = issue_invoice(partner, client_id, [mission_id]).id

    post_profile(client, legal_name="New Name SAS", version="1", logo=(jpeg_bytes(), "new.jpg"))

    with app.app_context():
        invoice = db.session.get_one(Invoice, invoice_id)
        assert (invoice.seller_name, invoice.logo_id) == ("Old Name SARL", old_logo.id)
        assert invoice.logo.content == old_logo.content
    assert logo_of(app, world.partner_a.id).id != old_logo.id


def test_issuing_without_a_profile_links_to_the_shop_profile_page(app, client, world):
    with app.app_context():
        client_id, mission_id = completed_client(world.partner_a.id, "Ivy")
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client, "/admin/invoices/issue/", {"client_id": client_id, "mission": mission_id}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "The shop has no profile yet" in page
    assert re.search(r'<a href="/admin/shop-profile/"[^>]*>Open the shop profile</a>', page)


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_the_page_costs_the_same_with_more_logos_and_partners(app, client, make_account, role):
    partner = make_account(RoleName.PARTNER)
    log_in(client, partner if role is RoleName.PARTNER else make_account(role))
    url = f"{URL}?partner={partner.id}"
    owner = app.test_client()
    log_in(owner, partner)

    def cost() -> int:
        with counted_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    post_profile(owner, logo=(png_bytes(), "1.png"))
    few = cost()
    for version in range(1, 6):
        post_profile(owner, version=str(version), logo=(png_bytes(), f"{version}.png"))
        make_account(RoleName.PARTNER)
    many = cost()

    assert few == many <= 4
