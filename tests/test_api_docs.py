"""``/api/docs``: the API's reference page, served from our own files under the panel's strict
policy (no inline script, no eval, nothing from elsewhere), with no session or cookie."""

from __future__ import annotations

import re

VENDOR = "/static/vendor/swagger-ui/"


def test_page_renders_with_the_strict_policy_and_only_our_script_files(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([\w-]+)';", csp).group(1)
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "connect-src 'self'" in csp and "default-src 'self'" in csp
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts == [
        (f' nonce="{nonce}" src="{VENDOR}swagger-ui-bundle.js" defer', ""),
        (f' nonce="{nonce}" src="/static/api-docs.js" defer', ""),
    ]
    assert not re.search(r"\son[a-z]+=", page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "everything comes from this site"
    assert 'data-spec-url="/api/openapi.json"' in page


def test_page_sets_no_cookie(client):
    assert "Set-Cookie" not in client.get("/api/docs").headers


def test_viewer_its_licence_and_starter_are_served(client):
    for path, kind in (
        (f"{VENDOR}swagger-ui-bundle.js", "javascript"),
        (f"{VENDOR}swagger-ui.css", "text/css"),
        ("/static/api-docs.js", "javascript"),
    ):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert kind in response.mimetype, (path, response.mimetype)
    with client.get(f"{VENDOR}LICENSE") as licence:
        assert "Apache License" in licence.get_data(as_text=True)


def test_the_spec_the_page_reads_is_served_and_asks_for_the_key_everywhere(client):
    spec = client.get("/api/openapi.json")

    assert spec.status_code == 200
    assert spec.json["openapi"].startswith("3.1")
    assert "/api/v1/clients" in spec.json["paths"]
    assert spec.json["security"] == [{"apiKey": []}], "Authorize sends the key with every call"
