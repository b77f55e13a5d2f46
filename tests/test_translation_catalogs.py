"""Every message the panel can show has French: ours, and our corrections of Flask-Admin's and
Flask-Security's catalogs, which win over the libraries' own."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo

from tests.browser_support import english_on
from tests.conftest import log_in
from tools import check_translations as check


def test_every_message_the_panel_can_show_has_french():
    assert check.problems() == []


def test_the_check_reports_a_message_without_french():
    used = {"Export", "A message nobody translated"}

    assert check.missing("admin", used, check.french("admin")) == [
        "admin: no French for 'A message nobody translated'"
    ]


def test_the_check_reports_a_correction_the_library_no_longer_uses():
    corrections = Catalog(locale="fr")
    corrections.add("Export", "Exporter")
    corrections.add("Exprot", "Exporter")
    corrections.add("Search", "")

    assert check.stale("admin", corrections, check.used_messages("admin")) == [
        "admin.po: 'Exprot' is not used by the panel",
        "admin.po: 'Search' has no French",
    ]


def test_the_check_sees_the_messages_of_each_library_the_panel_uses():
    assert {"Export", "items", "Edit Record"} <= check.used_messages("admin")
    assert "Successfully saved file: %(name)s" not in check.used_messages("admin")  # file admin
    assert {"Recovery Code", "Invalid code", "Password"} <= check.used_messages("flask_security")


def entries(catalog) -> dict:
    return {check.key(m): check.translations([m]).get(check.key(m)) for m in catalog}


def test_compiled_corrections_match_their_po_files():
    for domain in ("admin", "flask_security"):
        with open(check.FRENCH / f"{domain}.mo", "rb") as handle:
            compiled = entries(m for m in read_mo(handle) if m.id)
        source = entries(m for m in check.read_catalog(check.FRENCH / f"{domain}.po") if m.id)
        assert compiled == source, domain


def test_french_list_pages_use_our_wording_over_flask_admins(client, world):
    log_in(client, world.partner_a)

    french = client.get("/admin/clients/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = client.get("/admin/clients/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )

    assert ">Exporter<" in french and "20 par page" in french and "Rechercher" in french
    assert "articles" not in french and "Afficher l&#39;enregistrement" in french
    assert "Supprimer cet enregistrement ?" in french
    assert ">Export<" in english and "20 items" in english


def test_french_edit_page_says_modifier(client, world):
    log_in(client, world.partner_a)

    page = client.get(
        f"/admin/clients/edit/?id={world.a_client}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)

    assert "Modifier" in page and "Editer" not in page


def test_french_login_page_uses_our_wording_over_flask_securitys(client):
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert "Adresse e-mail" in page and "Adresse email" not in page


def test_english_text_is_told_from_french():
    assert english_on("Liste (5)\nExporter\n20 par page\nSe déconnecter") == []
    assert sorted(english_on("List (5)\nExport\n20 items")) == ["Export", "List", "items"]
    found = english_on(
        "You have 3 unused recovery codes. Codes are shown once, when they are made."
    )
    assert found == [
        "You have %(num)d unused recovery codes. Codes are shown once, when they are made."
    ]
