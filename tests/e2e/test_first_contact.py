# SPDX-License-Identifier: MIT
"""What a new user meets first: / leads a browser to the console and tells other clients
where things are; /favicon.ico is an icon."""


def test_a_browser_at_the_root_is_sent_to_the_console(server):
    r = server.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
                   allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == "/console"


def test_curl_at_the_root_is_told_where_the_console_and_the_api_are(server):
    r = server.get("/", headers={"Accept": "*/*"}, allow_redirects=False)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "/console" in r.text and "/v1" in r.text and "docs/api.md" in r.text


def test_a_json_client_at_the_root_gets_the_same_as_json(server):
    r = server.get("/", headers={"Accept": "application/json"}, allow_redirects=False)
    assert r.status_code == 200
    assert r.json()["console"] == "/console"
    assert r.json()["api"] == "/v1"
    assert r.json()["oauth_metadata"] == "/.well-known/oauth-authorization-server"


def test_the_favicon_is_an_icon(server):
    r = server.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "image/x-icon"
    # an ICO file: reserved 0, type 1 (icon), at least one image
    assert r.content[:4] == b"\x00\x00\x01\x00" and r.content[4] >= 1
    assert "max-age" in r.headers["Cache-Control"]
