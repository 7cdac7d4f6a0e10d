# SPDX-License-Identifier: MIT
"""check_answers.py finds each way an answer can drift from docs/openapi.json, and passes the
answers that match: each case is one answer checked against the real document."""
import json
from pathlib import Path

import pytest

from check_answers import Description, check, main

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PING = json.dumps({"ok": True, "service": "jeton", "version": "0.1.0"})
ERROR_404 = json.dumps({"error": "not_found", "error_description": "No such endpoint."})
ERROR_405 = json.dumps({"error": "method_not_allowed", "error_description": "No."})
TOKEN = {"id": 7, "name": "ci", "display_prefix": "jtp_AbC1", "scopes": ["read_content"],
         "created_at": "2026-11-23T19:27:42Z", "expires_at": None, "last_used_at": None,
         "last_used_ip": None, "revoked_at": None, "rotated_at": None, "status": "active",
         "token": "jtp_" + "a" * 38}


@pytest.fixture(scope="module")
def d():
    return Description(DOC)


def answer(method, path, status, body="", ctype="application/json", **headers):
    h = {k.lower().replace("_", "-"): v for k, v in headers.items()}
    if ctype:
        h["content-type"] = ctype
    return {"method": method, "path": path, "status": status, "headers": h, "body": body,
            "test": "t"}


def kinds(d, a):
    return [kind for kind, _ in check(d, a)]


def test_an_answer_as_described_passes(d):
    assert check(d, answer("GET", "/v1/ping", 200, PING)) == []
    assert check(d, answer("HEAD", "/v1/ping", 200, "")) == []


def test_a_status_the_operation_does_not_list_is_found(d):
    assert kinds(d, answer("GET", "/v1/ping", 418, PING)) == ["undocumented status"]


def test_a_body_off_the_schema_is_found(d):
    missing = json.dumps({"ok": True, "version": "0.1.0"})
    extra = json.dumps({"ok": True, "service": "jeton", "version": "0.1.0", "more": 1})
    assert kinds(d, answer("GET", "/v1/ping", 200, missing)) == ["body does not match the schema"]
    assert kinds(d, answer("GET", "/v1/ping", 200, extra)) == ["body does not match the schema"]


def test_a_value_off_its_enum_deep_in_a_list_is_found(d):
    page = {"items": [dict(TOKEN, status="lost")], "limit": 25, "next_before": None}
    page["items"][0].pop("token")
    problems = check(d, answer("GET", "/v1/users/me/access_tokens", 200, json.dumps(page)))
    assert [k for k, _ in problems] == ["body does not match the schema"]
    assert "items/*/status" in problems[0][1]


def test_a_required_header_missing_is_found(d):
    made = answer("POST", "/v1/users/me/access_tokens", 201, json.dumps(TOKEN),
                  cache_control="no-store")
    assert kinds(d, made) == ["missing header"]
    made["headers"]["location"] = "/v1/users/me/access_tokens/7"
    assert check(d, made) == []


def test_a_content_type_the_response_does_not_list_is_found(d):
    assert kinds(d, answer("GET", "/v1/ping", 200, "<p>", "text/html")) == \
        ["undocumented Content-Type"]


def test_a_body_where_none_is_described_is_found(d):
    a = answer("DELETE", "/v1/users/me/access_tokens/7", 204, "{}")
    assert kinds(d, a) == ["a body where none is documented"]


def test_a_path_the_document_does_not_describe_must_be_not_found(d):
    assert check(d, answer("GET", "/v1/no-such", 404, ERROR_404)) == []
    assert kinds(d, answer("GET", "/v1/new-endpoint", 200, "{}")) == ["unknown route"]


def test_a_method_the_path_does_not_list_must_be_405_naming_the_described_ones(d):
    ok = answer("DELETE", "/v1/ping", 405, ERROR_405, allow="GET, HEAD")
    assert check(d, ok) == []
    assert kinds(d, dict(ok, headers=dict(ok["headers"], allow="GET, HEAD, DELETE"))) == \
        ["Allow differs from the document"]
    assert kinds(d, answer("DELETE", "/v1/ping", 200, PING)) == ["undocumented method"]


def test_a_refusal_of_the_http_layer_must_carry_its_error_code(d):
    too_long = json.dumps({"error": "invalid_request", "error_description": "Too long."})
    assert check(d, answer("GET", "/v1/ping", 414, too_long)) == []
    assert kinds(d, answer("GET", "/v1/ping", 414, PING)) == \
        ["protocol answer without jeton's error"]


def test_the_run_fails_listing_each_mismatch_and_passes_when_none(d, tmp_path, capsys):
    good = answer("GET", "/v1/ping", 200, PING)
    (tmp_path / "gw0.jsonl").write_text(json.dumps(good) + "\n")
    assert main(str(DOC), str(tmp_path)) == 0
    (tmp_path / "gw1.jsonl").write_text(json.dumps(answer("GET", "/v1/ping", 418, PING)) + "\n")
    assert main(str(DOC), str(tmp_path)) == 1
    assert "GET /v1/ping 418: undocumented status" in capsys.readouterr().out


def test_no_answer_recorded_fails_the_run(tmp_path):
    assert main(str(DOC), str(tmp_path)) == 1
