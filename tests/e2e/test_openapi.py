# SPDX-License-Identifier: MIT
"""GET /openapi.json: the API's description, as the tree has it (docs/openapi.json), served by
the binary that it describes. That every answer of this suite matches it is checked after the
suite (tests/openapi/check_answers.py, make e2e)."""
import json

from conftest import REPO_ROOT, describe

DOC = (REPO_ROOT / "docs" / "openapi.json").read_bytes()


def test_the_server_serves_the_description_of_its_api_without_a_token(server):
    r = server.get("/openapi.json")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == DOC, "the served document differs from docs/openapi.json"
    doc = r.json()
    assert doc["openapi"].startswith("3.1.")
    assert "/v1/users/me/access_tokens" in doc["paths"]


def test_the_description_may_be_cached_as_it_changes_only_with_the_binary(server):
    r = server.get("/openapi.json")
    assert r.headers["Cache-Control"] == "public, max-age=3600", describe(r)


def test_head_gives_the_length_without_the_body(server):
    r = server.request("HEAD", "/openapi.json")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(DOC)
    assert r.content == b""


def test_the_root_names_the_description_to_clients(server):
    r = server.get("/", headers={"Accept": "application/json"})
    assert r.status_code == 200, describe(r)
    assert json.loads(r.text)["openapi"] == "/openapi.json"
