"""The API keys page (issue 19): a shop's partner makes, lists and revokes its own keys, admins
every key (a new one theirs, for all partners, or a partner's); a new key's token is shown
once, on the page after the creation, and never again (nor kept anywhere but as a hash); a
wrong field is named at the field with the rest kept; revoking asks first; staff and support
get 403, another partner's key 404; every string is French on a French page."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from admin_app.admin import api_keys as api_keys_page
from admin_app.data.api_keys import ApiKey
from admin_app.data.models import AuditEvent, RoleName, User, WebSession
from admin_app.domain.api_keys import make_api_key, revoke_api_key
from admin_app.extensions import db
from tests.browser_support import english_on
from tests.conftest import bearer, log_in, post_with_csrf
from tests.test_query_counts import counted_queries

URL = "/admin/api-keys/"
NEW = f"{URL}new/"
CREATED = f"{URL}created/"
REVOKE = f"{URL}revoke/"
TOKEN = re.compile(r"wk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
ALERT = re.compile(r'<div class="alert alert-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)


def make_key(app, owner_id: int, name: str = "Door tablet", scope: str = "read") -> tuple[int, str]:
    """A key of ``owner_id`` made by itself: its id and token."""
    with app.app_context():
        owner = db.session.get_one(User, owner_id)
        key, token = make_api_key(owner, owner, name, scope)
        return key.id, token


def stored_key(app, key_id: int) -> ApiKey:
    with app.app_context():
        key = db.session.get_one(ApiKey, key_id)
        db.session.expunge(key)
        return key


def all_keys(app) -> list[tuple[int, int, str, str, object]]:
    with app.app_context():
        rows = db.session.scalars(select(ApiKey).order_by(ApiKey.id))
        return [(key.id, key.owner_id, key.name, key.scope.value, key.revoked_at) for key in rows]


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def field_group(page: str, field_id: str) -> str:
    """The form group of the field ``field_id``: its input, its errors, its help."""
    groups = [part for part in re.split(r'<(?:div|fieldset) class="form-group', page)
              if f'id="{field_id}"' in part]  # fmt: skip
    assert len(groups) == 1, field_id
    return groups[0]


def messages(page: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>|&times;", " ", text).split()) for _, text in ALERT.findall(page)
    ]


def api_answer(client, world, token: str) -> int:
    """The status of an API read of partner A's mission with ``token``."""
    return client.get(f"/api/v1/missions/{world.a_mission}", headers=bearer(token)).status_code


def create(client, **fields: object):
    return post_with_csrf(client, NEW, {"name": "Door tablet", "scope": "read", **fields})


def test_a_partner_makes_a_key_sees_its_token_once_and_finds_it_listed(app, client, world):
    log_in(client, world.partner_a)
    assert "No API key yet" in client.get(URL).get_data(as_text=True)

    made = create(client)
    assert made.status_code == 302 and made.headers["Location"] == CREATED
    page = client.get(CREATED).get_data(as_text=True)
    again = client.get(CREATED)

    token = TOKEN.search(page).group(0)
    assert "shown only this once" in page
    assert again.status_code == 302 and again.headers["Location"] == URL
    listing = client.get(URL).get_data(as_text=True)
    assert token not in listing and "shown only once" in listing
    ((key_id, owner_id, name, scope, revoked),) = all_keys(app)
    key = stored_key(app, key_id)
    assert (owner_id, name, scope, revoked) == (world.partner_a.id, "Door tablet", "read", None)
    assert token.startswith(f"wk_{key.prefix}_") and f"<code>{key.prefix}</code>" in listing
    assert key.secret_hash == hashlib.sha256(token.split("_", 2)[2].encode()).hexdigest()
    assert "Door tablet" in listing and "Never" in listing and "Valid" in listing
    (event,) = events(app, "api_key.create")
    assert event.actor_email == world.partner_a.email and event.target == f"api_key:{key_id}"
    assert f"Door tablet ({key.prefix})" in event.details and token not in event.details


def test_the_token_is_kept_nowhere_once_shown(app, client, world):
    log_in(client, world.partner_a)

    made = create(client)
    page = client.get(made.headers["Location"]).get_data(as_text=True)

    token = TOKEN.search(page).group(0)
    assert token not in made.headers["Location"]
    with app.app_context():
        kept = [row.data for row in db.session.scalars(select(WebSession))]
        audited = [event.details or "" for event in db.session.scalars(select(AuditEvent))]
    assert kept and not any(token in data for data in kept)
    assert not any(token.split("_", 2)[2] in text for text in audited)


def test_a_used_key_shows_when_it_was_last_used(app, client, world):
    key_id, token = make_key(app, world.partner_a.id)
    assert api_answer(client, world, token) == 200
    log_in(client, world.partner_a)

    listing = client.get(URL).get_data(as_text=True)

    assert stored_key(app, key_id).last_used_at is not None
    assert "Never" not in listing


@pytest.mark.parametrize(
    ("fields", "field_id", "words"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "N" * 101}, "name", "At most 100 characters."),
        ({"name": "Door\ttablet\x07"}, "name", "This must not contain control characters."),
        ({"scope": ""}, "scope", "Choose one of the listed values."),
        ({"scope": "admin"}, "scope", "Choose one of the listed values."),
    ],
)
def test_a_wrong_field_is_named_at_the_field_with_the_rest_kept_and_nothing_made(
    app, client, world, fields, field_id, words
):
    log_in(client, world.partner_a)
    data = {"name": "Door tablet", "scope": "checkin", **fields}

    response = post_with_csrf(client, NEW, data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert words in field_group(page, field_id) and "is-invalid" in field_group(page, field_id)
    if field_id == "scope":
        assert 'value="Door tablet"' in page
    else:
        assert re.search(r'checked[^>]*value="checkin"|value="checkin"[^>]*checked', page)
    assert all_keys(app) == [] and events(app, "api_key.create") == []


def test_a_partners_keys_are_its_own_whatever_owner_it_names(app, client, world):
    make_key(app, world.partner_b.id, name="Shop B kiosk")
    log_in(client, world.partner_a)

    assert 'name="owner"' not in client.get(NEW).get_data(as_text=True)
    create(client, owner=str(world.partner_b.id))
    listing = client.get(URL).get_data(as_text=True)

    assert [(owner, name) for _, owner, name, _, _ in all_keys(app)] == [
        (world.partner_b.id, "Shop B kiosk"), (world.partner_a.id, "Door tablet"),
    ]  # fmt: skip
    assert "Door tablet" in listing and "Shop B kiosk" not in listing
    assert world.partner_a.email not in re.sub(r'data-testid="current-user">[^<]*', "", listing)


def test_an_admin_makes_a_key_for_a_partner_and_one_of_its_own(app, client, world):
    log_in(client, world.admin)
    form = client.get(NEW).get_data(as_text=True)
    assert "Yours: it acts for all partners" in form
    assert world.partner_a.email in form and world.support.email not in form

    for_partner = create(client, name="Shop A till", owner=str(world.partner_a.id))
    assert TOKEN.search(client.get(for_partner.headers["Location"]).get_data(as_text=True))
    own = create(client, name="Reporting", scope="write", owner=str(world.admin.id))
    own_page = client.get(own.headers["Location"]).get_data(as_text=True)
    listing = client.get(URL).get_data(as_text=True)

    assert "(all partners)" in own_page
    assert [(owner, name, scope) for _, owner, name, scope, _ in all_keys(app)] == [
        (world.partner_a.id, "Shop A till", "read"), (world.admin.id, "Reporting", "write"),
    ]  # fmt: skip
    rows = re.findall(r"<tr data-key=.*?</tr>", listing, re.S)
    assert "Reporting" in rows[0] and world.admin.email in rows[0] and "(all partners)" in rows[0]
    assert "Shop A till" in rows[1] and world.partner_a.email in rows[1]
    assert "(all partners)" not in rows[1]
    assert [event.account_email for event in events(app, "api_key.create")] == [
        world.partner_a.email, world.admin.email,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("owner", "words"),
    [
        ("", "This field is required."),
        ("{support}", "Choose an active partner account."),
        ("{staff}", "Choose an active partner account."),
        ("999999", "Choose an active partner account."),
    ],
)
def test_an_admin_must_name_itself_or_an_active_partner(app, client, world, owner, words):
    log_in(client, world.admin)
    named = owner.format(support=world.support.id, staff=world.staff_a.id)

    page = create(client, name="Kiosk", owner=named).get_data(as_text=True)

    assert words in field_group(page, "owner") and 'value="Kiosk"' in page
    assert all_keys(app) == []


def test_a_partner_revokes_a_key_after_confirming(app, client, world):
    key_id, token = make_key(app, world.partner_a.id)
    log_in(client, world.partner_a)
    listing = client.get(URL).get_data(as_text=True)
    assert f'href="{REVOKE}?id={key_id}"' in listing

    confirm = client.get(f"{REVOKE}?id={key_id}").get_data(as_text=True)
    assert "Door tablet" in confirm and "cannot be undone" in confirm
    assert stored_key(app, key_id).revoked_at is None
    done = post_with_csrf(client, REVOKE, {"id": str(key_id)})

    assert done.status_code == 302 and done.headers["Location"] == URL
    listing = client.get(URL).get_data(as_text=True)
    label = stored_key(app, key_id).label
    assert f"API key {label} is revoked" in " ".join(messages(listing))
    assert 'data-state="revoked"' in listing and f"{REVOKE}?id={key_id}" not in listing
    assert stored_key(app, key_id).revoked_at is not None
    assert api_answer(client, world, token) == 401
    (event,) = events(app, "api_key.revoke")
    assert event.actor_email == world.partner_a.email and label in event.details
    assert "was revoked on" in client.get(f"{REVOKE}?id={key_id}").get_data(as_text=True)


def test_an_admin_revokes_a_partners_key(app, client, world):
    key_id, _ = make_key(app, world.partner_b.id)
    log_in(client, world.admin)

    assert client.get(f"{REVOKE}?id={key_id}").status_code == 200
    assert post_with_csrf(client, REVOKE, {"id": str(key_id)}).status_code == 302

    assert stored_key(app, key_id).revoked_at is not None


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_partners_key_answers_404_and_stays_active(app, client, world, method):
    key_id, _ = make_key(app, world.partner_a.id)
    log_in(client, world.partner_b)

    if method == "GET":
        response = client.get(f"{REVOKE}?id={key_id}")
    else:
        response = post_with_csrf(client, REVOKE, {"id": str(key_id)})

    assert response.status_code == 404
    assert stored_key(app, key_id).revoked_at is None
    (refused,) = events(app, "access.refused")
    assert refused.actor_email == world.partner_b.email and refused.target == f"api_key:{key_id}"


@pytest.mark.parametrize("bad_id", ["", "abc", "1,2", "-1", "999999", "١"])
def test_no_such_key_answers_404(client, world, bad_id):
    log_in(client, world.admin)

    assert client.get(REVOKE, query_string={"id": bad_id}).status_code == 404
    assert post_with_csrf(client, REVOKE, {"id": bad_id}).status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "support", "partner_and_support"])
def test_staff_and_support_get_403_and_no_menu_entry(app, client, world, make_account, who):
    key_id, _ = make_key(app, world.partner_a.id)
    if who == "partner_and_support":
        account = make_account(RoleName.PARTNER, RoleName.SUPPORT)
    else:
        account = getattr(world, who)
    log_in(client, account)

    assert URL not in client.get("/admin/").get_data(as_text=True)
    for url in (URL, NEW, CREATED, f"{REVOKE}?id={key_id}"):
        assert client.get(url).status_code == 403, url
    assert create(client).status_code == 403
    assert post_with_csrf(client, REVOKE, {"id": str(key_id)}).status_code == 403
    assert [(key, revoked) for key, _, _, _, revoked in all_keys(app)] == [(key_id, None)]


@pytest.mark.parametrize("account", ["partner_a", "admin"])
def test_partners_and_admins_find_the_page_in_the_menu(client, world, account):
    log_in(client, getattr(world, account))

    assert f'href="{URL}"' in client.get("/admin/").get_data(as_text=True)


def test_a_post_without_its_csrf_token_changes_nothing(app, client, world):
    key_id, _ = make_key(app, world.partner_a.id)
    log_in(client, world.partner_a)

    made = client.post(NEW, data={"name": "Door tablet", "scope": "read"})
    revoked = client.post(REVOKE, data={"id": str(key_id)})

    assert (made.status_code, revoked.status_code) == (400, 400)
    assert [(key, revoked) for key, _, _, _, revoked in all_keys(app)] == [(key_id, None)]


def test_a_token_waiting_when_its_user_logs_out_is_never_shown(app, client, world):
    log_in(client, world.partner_a)
    create(client)  # its redirect is not followed

    post_with_csrf(client, "/logout")
    log_in(client, world.partner_a)
    response = client.get(CREATED)

    assert response.status_code == 302 and response.headers["Location"] == URL
    with app.app_context():
        kept = [row.data for row in db.session.scalars(select(WebSession))]
    assert not any("wk_" in data for data in kept)


def test_the_list_is_capped_and_says_so_keys_not_revoked_first(app, client, world, monkeypatch):
    monkeypatch.setattr(api_keys_page, "MAX_LISTED", 3)
    ids = [make_key(app, world.partner_a.id, name=f"Key {n}")[0] for n in range(5)]
    with app.app_context():
        revoke_api_key(ids[4], db.session.get_one(User, world.partner_a.id))
    log_in(client, world.partner_a)

    listing = client.get(URL).get_data(as_text=True)

    assert re.findall(r'<tr data-key="(\d+)"', listing) == [str(n) for n in ids[3::-1][:3]]
    assert "Only the first 3 keys are shown" in listing


def test_a_list_of_few_keys_says_nothing_of_a_cap(app, client, world):
    make_key(app, world.partner_a.id)
    log_in(client, world.partner_a)

    assert 'data-testid="api-keys-capped"' not in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_the_list_costs_the_same_with_3_and_30_keys(app, client, make_account, role):
    viewer = make_account(role)
    partners = [make_account(RoleName.PARTNER) for _ in range(3)]
    log_in(client, viewer)

    def queries_with(count: int) -> int:
        while len(all_keys(app)) < count:
            owner = viewer if role is RoleName.PARTNER else partners[len(all_keys(app)) % 3]
            make_key(app, owner.id, name=f"Key {len(all_keys(app))}")
        with counted_queries(app) as statements:
            assert client.get(URL).status_code == 200
        return len(statements)

    assert queries_with(3) == queries_with(30)


def test_the_audit_log_names_the_key_and_its_scope_in_words(app, client, world):
    key_id, _ = make_key(app, world.partner_a.id, scope="checkin")
    with app.app_context():
        revoke_api_key(key_id, db.session.get_one(User, world.partner_a.id))
    log_in(client, world.admin)

    page = client.get("/admin/audit/").get_data(as_text=True)

    label = stored_key(app, key_id).label
    assert "API key made" in page and "API key revoked" in page
    assert label in page and "Check-in only" in page and f"API key {key_id}" in page


def visible_text(page: str) -> str:
    """The words of an HTML page, tags left out."""
    return re.sub(r"<[^>]+>", "\n", page)


def test_the_pages_are_all_french_on_a_french_page(app, client, world):
    key_id, _ = make_key(app, world.partner_a.id)
    log_in(client, world.partner_a)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    made = create(client, name="Borne")

    pages = {
        "created": client.get(made.headers["Location"]).get_data(as_text=True),
        "list": client.get(URL).get_data(as_text=True),
        "new": client.get(NEW).get_data(as_text=True),
        "revoke": client.get(f"{REVOKE}?id={key_id}").get_data(as_text=True),
        "wrong field": create(client, name="").get_data(as_text=True),
    }

    assert "Clés d'API" in pages["list"] and "Ce champ est obligatoire." in pages["wrong field"]
    for name, page in pages.items():
        assert '<html lang="fr"' in page or 'lang="fr"' in page, name
        assert english_on(visible_text(page)) == [], name
