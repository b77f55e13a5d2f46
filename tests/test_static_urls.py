"""Flask-Admin's static files' URLs are built once a process (``admin/static_urls.py``): they
must still be the right ones, wherever the panel is served."""

from __future__ import annotations

import re

from admin_app.data.models import RoleName

JQUERY = re.compile(r'src="([^"]*vendor/jquery\.min\.js[^"]*)"')


def jquery_url(page: str) -> str:
    match = JQUERY.search(page)
    assert match, "the page links no jQuery"
    return match.group(1)


def test_a_page_links_flask_admins_files_under_the_path_it_is_served_from(app, client, login_as):
    login_as(RoleName.PARTNER)

    at_root = client.get("/admin/").get_data(as_text=True)
    under_shop = client.get("/admin/", base_url="http://localhost/shop")
    at_root_again = client.get("/admin/clients/").get_data(as_text=True)

    assert jquery_url(at_root) == "/admin/static/vendor/jquery.min.js?v=3.5.1"
    assert jquery_url(under_shop.get_data(as_text=True)).startswith("/shop/admin/static/")
    assert jquery_url(at_root_again) == jquery_url(at_root)
    served = client.get(jquery_url(at_root))
    try:
        assert served.status_code == 200 and b"jQuery" in served.data
    finally:
        served.close()
